"""The crawl engine's event loop on a private thread, and its log calls replayed on the caller's.

Playwright's async API drives the browser, so the engine is a coroutine; the caller just iterates pages. The
runner hands pages over through a bounded queue (what bounds memory when the caller is slow) and reports a
failure on the loop's thread to the caller's, never losing it. Log calls made on the loop's thread are
queued and replayed where the caller iterates, because a Dagster ``context.log`` must stay on its thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol

from gleaner.pages import FetchedPage

_OUT_QUEUE_PAGES = 16  # pages handed over but not yet taken by the caller: what bounds memory here


class Engine(Protocol):
    async def run(self) -> None: ...


class LogRelay:
    """Log calls made on the crawl's thread, replayed on the caller's (a Dagster ``context.log`` stays there)."""

    def __init__(self) -> None:
        self._records: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()

    def _put(self, level: str, message: str, *args: object) -> None:
        self._records.put((level, message % args if args else message))

    def debug(self, message: str, *args: object) -> None:
        self._put("debug", message, *args)

    def info(self, message: str, *args: object) -> None:
        self._put("info", message, *args)

    def warning(self, message: str, *args: object) -> None:
        self._put("warning", message, *args)

    def drain(self, log: Any) -> None:
        while True:
            try:
                level, message = self._records.get_nowait()
            except queue.Empty:
                return
            getattr(log, level)(message)


class EngineRunner:
    """The engine's event loop on its own thread, handing pages over through a bounded queue."""

    def __init__(self, make_engine: Callable[[Callable[[FetchedPage], Any]], Engine], name: str) -> None:
        self.pages: queue.Queue[FetchedPage] = queue.Queue(maxsize=_OUT_QUEUE_PAGES)
        self.engine = make_engine(self._emit)
        self.finished = threading.Event()
        self.failure: BaseException | None = None
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._main, name=f"crawl-{name}", daemon=True)

    async def _emit(self, page: FetchedPage) -> None:
        while True:
            try:
                self.pages.put_nowait(page)
                return
            except queue.Full:
                await asyncio.sleep(0.01)  # the caller is busy: wait without blocking the loop

    def _main(self) -> None:
        try:
            asyncio.run(self._amain())
        except BaseException as exc:  # noqa: BLE001 - reported to the caller's thread, not lost here
            self.failure = self.failure or exc
        finally:
            self._started.set()
            self.finished.set()

    async def _amain(self) -> None:
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        self._started.set()
        with contextlib.suppress(asyncio.CancelledError):  # stopped by the caller
            await self.engine.run()

    def start(self) -> None:
        self._thread.start()
        self._started.wait()

    def next_page(self, on_wait: Callable[[], None]) -> FetchedPage | None:
        while True:
            try:
                return self.pages.get(timeout=0.1)
            except queue.Empty:
                on_wait()
            if self.finished.is_set() and self.pages.empty():
                if self.failure is not None:
                    raise self.failure
                return None

    def stop(self) -> None:
        if self._thread.is_alive() and self._loop is not None and self._task is not None:
            with contextlib.suppress(RuntimeError):  # the loop has just closed on its own
                self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=120)
