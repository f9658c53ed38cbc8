"""A drop watcher's memory of what it has handled, kept small however many drops ever arrive.

A list of every drop ever seen grows without end and is rewritten on every tick. Instead: a high-water
``mark`` (every drop that arrived before it has been handled) plus the drops handled at or after it.
The mark trails the newest arrival by ``GRACE_SEC``, because arrivals are not seen in arrival order: a
listing can miss a marker renamed into a directory it had already read, and S3 stamps an object when its
upload starts. Anything that lands within the grace window is still caught, by name. The cursor holds
only the drops of that window (plus, while a drop waits for its partition to exist, everything since
that drop arrived, since the mark must not pass it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

GRACE_SEC = 600.0
_FORMAT = 1


@dataclass(frozen=True)
class DropCursor:
    mark: float = 0.0
    handled: dict[str, float] = field(default_factory=dict)  # ident -> arrival, for arrivals >= mark

    def is_new(self, ident: str, arrived_at: float) -> bool:
        return arrived_at >= self.mark and ident not in self.handled

    def advance(self, handled: dict[str, float], waiting_since: float | None = None) -> DropCursor:
        """The cursor after handling ``handled``; ``waiting_since``: earliest arrival of a drop left waiting."""
        merged = {**self.handled, **handled}
        if not merged:
            return self
        mark = max(self.mark, max(merged.values()) - GRACE_SEC)
        if waiting_since is not None:
            mark = max(self.mark, min(mark, waiting_since))
        return DropCursor(mark, {ident: at for ident, at in merged.items() if at >= mark})

    def to_json(self) -> str:
        return json.dumps({"v": _FORMAT, "mark": self.mark, "handled": dict(sorted(self.handled.items()))})

    @classmethod
    def from_json(cls, text: str | None) -> DropCursor:
        """Also reads the old format (a JSON list of every handled drop), treating it as all handled at 0."""
        if not text:
            return cls()
        data = json.loads(text)
        if isinstance(data, list):
            return cls(0.0, {str(ident): 0.0 for ident in data})
        return cls(float(data["mark"]), {str(k): float(v) for k, v in data["handled"].items()})
