"""`read_ahead`: the producer's items in order, its exception where it happened, a bounded lead, and a
consumer that stops early stops the producer; `over_threads`: a range split over the cores, each index once."""

from __future__ import annotations

import threading
import time

import pytest

from gleaner.parallel import read_ahead


def test_items_come_in_order_and_an_empty_source_is_empty() -> None:
    assert list(read_ahead(iter(range(1000)), depth=3)) == list(range(1000))
    assert list(read_ahead([])) == []


def test_the_producers_exception_comes_after_the_items_before_it() -> None:
    def source():
        yield 1
        yield 2
        raise ValueError("torn member")

    seen = []
    with pytest.raises(ValueError, match="torn member"):
        for item in read_ahead(source()):
            seen.append(item)
    assert seen == [1, 2]


def test_the_producer_stays_at_most_depth_items_ahead_and_stops_with_the_consumer() -> None:
    produced: list[int] = []

    def source():
        for n in range(10_000):
            produced.append(n)
            yield n

    items = read_ahead(source(), depth=4)
    assert next(items) == 0
    time.sleep(0.2)  # time enough to run far ahead, were it unbounded
    assert len(produced) <= 1 + 4 + 1  # the one taken, a full queue, one waiting to be put
    items.close()  # the consumer stops: the producer's thread ends
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]
    assert len(produced) < 10_000


@pytest.mark.parametrize(("n", "min_share", "slices"), [(10, 3, 2), (10, 6, 1), (0, 1, 1), (7, 1, 2)])
def test_over_threads_covers_the_range_once_in_slices_of_at_least_the_share(monkeypatch, n, min_share, slices):
    from gleaner import parallel

    monkeypatch.setattr(parallel, "default_workers", lambda: 2)
    calls: list[tuple[int, int]] = []
    parallel.over_threads(n, lambda start, end: calls.append((start, end)), min_share)
    assert [i for start, end in sorted(calls) for i in range(start, end)] == list(range(n))
    assert len(calls) == slices and all(end - start >= min(min_share, n) for start, end in calls)
