"""Python-bound work over the cores this process may use, in worker processes, with results in input order.

One helper for every stage that spreads work over processes (extraction, labeling functions), so each
gets the same guarantees: workers are spawned (no forked copy of a process holding threads, Dagster's
included), items go out in consecutive chunks, at most two chunks per worker are in flight (memory stays
bounded however many items there are), and results come back in the order the items came, so the output
is the same, to the byte, as from one process. What goes to a worker is pickled: the function must be a
module-level function (or a partial of one, or an instance of a module-level class).

`read_ahead` is the thread-level counterpart for work that releases the GIL (decompression): a producer on
a thread, a bounded queue, the items in their order; `over_threads` splits a range for compiled kernels that
run without the GIL and write their own slice of the output.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """The cores this process may use (its CPU affinity where the platform says, else the machine's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def over_threads(n: int, work: Callable[[int, int], object], min_share: int) -> None:
    """``work(start, end)`` over ``[0, n)``: one slice per core, each at least ``min_share`` long (a thread
    costs more than it saves on less), or the whole range here. For compiled kernels that release the GIL."""
    workers = min(default_workers(), max(1, n // min_share))
    if workers == 1:
        work(0, n)
        return
    bounds = [n * k // workers for k in range(workers + 1)]
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, bounds[:-1], bounds[1:]))


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of `size` items (the last may be shorter), in order."""
    items = iter(items)
    return iter(lambda: list(islice(items, size)), [])


def picklable(value: object) -> bool:
    """Whether `value` can go to a worker process: closures and lambdas cannot, module-level ones can."""
    try:
        pickle.dumps(value)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


def ordered_chunks(
    work: Callable[[list[T]], list[R]], chunks: Iterable[list[T]], workers: int
) -> Iterator[tuple[list[T], list[R]]]:
    """(chunk, work(chunk)) for each chunk, in the chunks' order, computed over `workers` spawned processes.

    A chunk's result is yielded as soon as it and every chunk before it are done; no more than two chunks
    per worker are queued, so a slow consumer holds the producer back instead of filling memory."""
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque[tuple[list[T], Future[list[R]]]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(work, chunk)))
            while len(pending) >= 2 * workers or (pending and pending[0][1].done()):
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


def read_ahead(items: Iterable[T], depth: int = 64) -> Iterator[T]:
    """`items` in order, produced on a thread up to `depth` items ahead of the consumer.

    For a producer whose work releases the GIL (zlib inflating a WARC's gzip members) feeding a consumer that
    holds it (parsing the records): the two then run on two cores. An exception the producer raises is raised
    here, after the items before it; a consumer that stops early stops the producer at its next item."""
    ready: queue.Queue[tuple[bool, object]] = queue.Queue(depth)
    stopped = threading.Event()

    def hand_over(entry: tuple[bool, object]) -> bool:
        while not stopped.is_set():
            try:
                ready.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over((True, item)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            hand_over((False, exc))
            return
        hand_over((False, None))

    producer = threading.Thread(target=produce, name="read-ahead", daemon=True)
    producer.start()
    try:
        while True:
            is_item, value = ready.get()
            if is_item:
                yield value  # type: ignore[misc]
            elif value is None:
                return
            else:
                raise value  # type: ignore[misc]
    finally:
        stopped.set()
        producer.join()
