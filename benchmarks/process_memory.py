"""Peak memory of this process and everything it started (Playwright's driver, Chromium), sampled while a
block runs: used by benchmarks/crawl.py and by the crawler's memory test.

PSS (proportional set size) splits shared pages between the processes sharing them, so the sum over a
process tree is not inflated the way summed RSS would be.
"""

from __future__ import annotations

import threading

import psutil


class MemorySampler:
    """Peak PSS of this process tree, and of its Chromium processes, while running."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak_tree = self.peak_chromium = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        tree = chromium = 0
        for process in [me, *me.children(recursive=True)]:
            try:
                pss = process.memory_full_info().pss
                name = process.name()
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            tree += pss
            if "chrom" in name:
                chromium += pss
        self.peak_tree = max(self.peak_tree, tree)
        self.peak_chromium = max(self.peak_chromium, chromium)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
