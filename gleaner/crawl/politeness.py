"""Per-host politeness for concurrent fetches: how many requests at once, and how far apart they start.

Spacing is reserved, not measured after the fact: each request takes the next free start time of its
host before it sleeps, so several tasks waiting on one host still start ``1 / rate`` seconds apart
however the event loop schedules them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from gleaner.urls import url_host


class HostGate:
    """At most ``concurrency`` requests in flight per host, starting at least ``1 / per_sec`` apart."""

    def __init__(self, per_sec: float, concurrency: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / per_sec
        self.concurrency = concurrency
        self._clock = clock
        self._next_start: dict[str, float] = {}
        self._interval_by_host: dict[str, float] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}

    def slow_down(self, host: str, interval: float) -> None:
        """Widen one host's spacing (robots.txt crawl-delay); never narrows below the configured rate."""
        self._interval_by_host[host] = max(interval, self.interval)

    def reserve(self, host: str) -> float:
        """Seconds until this caller may start; the start time is taken, so the next caller queues behind it."""
        now = self._clock()
        start = max(now, self._next_start.get(host, now))
        self._next_start[host] = start + self._interval_by_host.get(host, self.interval)
        return start - now

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        host = url_host(url)
        semaphore = self._slots.setdefault(host, asyncio.Semaphore(self.concurrency))
        async with semaphore:
            delay = self.reserve(host)
            if delay > 0:
                await asyncio.sleep(delay)
            yield
