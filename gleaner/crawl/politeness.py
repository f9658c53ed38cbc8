"""Per-host politeness for concurrent fetches: how many requests at once, and how far apart they start.

Spacing is reserved, not measured after the fact: each request takes the next free start time of its
host before it sleeps, so several tasks waiting on one host still start ``1 / rate`` seconds apart
however the event loop schedules them. A reservation only says when a request may start at the earliest:
when the loop stalls (a busy process, a starved machine) past several reserved starts, the sleepers would all
wake at once and start together. So each start is also checked against the host's last actual start and
waits out what is left of the interval: a stall delays the requests, it never bunches them.
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
        self._last_start: dict[str, float] = {}
        self._interval_by_host: dict[str, float] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}

    def slow_down(self, host: str, interval: float) -> None:
        """Widen one host's spacing (robots.txt crawl-delay); never narrows below the configured rate."""
        self._interval_by_host[host] = max(interval, self.interval)

    def _interval(self, host: str) -> float:
        return self._interval_by_host.get(host, self.interval)

    def reserve(self, host: str) -> float:
        """Seconds until this caller may start; the start time is taken, so the next caller queues behind it."""
        now = self._clock()
        start = max(now, self._next_start.get(host, now))
        self._next_start[host] = start + self._interval(host)
        return start - now

    def start(self, host: str) -> float:
        """0 when a request may start now, recorded as the host's last start; else how long to wait first
        (what is left of the interval since the last start)."""
        now = self._clock()
        last = self._last_start.get(host)
        if last is not None and (left := last + self._interval(host) - now) > 0:
            return left
        self._last_start[host] = now
        return 0.0

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        host = url_host(url)
        semaphore = self._slots.setdefault(host, asyncio.Semaphore(self.concurrency))
        async with semaphore:
            delay = self.reserve(host)
            if delay > 0:
                await asyncio.sleep(delay)
            while (left := self.start(host)) > 0:  # woke late, with others: space them as they actually start
                await asyncio.sleep(left)
            yield
