"""Progress lines for long work (pages crawled, records labelled) that show a run is moving without
flooding its log: one line at most every ``interval`` seconds and one at each quarter of the total
(the last at 100%). The Dagster run log keeps every line forever, so a line per page would bury the warnings."""

from __future__ import annotations

import time
from collections.abc import Callable


class Progress:
    def __init__(
        self,
        log: Callable[[str], None],
        what: str,
        total: int | None,
        *,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._what = what
        self._total = total
        self._interval = interval
        self._clock = clock
        self._last_at = clock()
        self._last_quarter = 0
        self.done = 0
        self.lines = 0

    def advance(self, n: int = 1, detail: str = "") -> None:
        self.done += n
        now = self._clock()
        quarter = self._quarter()
        if quarter > self._last_quarter or now - self._last_at >= self._interval:
            self._emit(detail)
            self._last_quarter = quarter
            self._last_at = now

    def _quarter(self) -> int:
        if not self._total:
            return 0
        return min(4, self.done * 4 // self._total)

    def _emit(self, detail: str) -> None:
        of = f" of {self._total}" if self._total else ""
        percent = f" ({self.done * 100 // self._total}%)" if self._total else ""
        self._log(f"{self._what}: {self.done}{of}{percent}" + (f"; {detail}" if detail else ""))
        self.lines += 1
