"""The oversized-bucket pivot walk on counted shared shingles gives exactly the edges of the walk comparing
each pivot pair by pair (``ShingleSets.jaccard``), as first written."""

from __future__ import annotations

import numpy as np
import pytest

from gleaner.dedup import edges
from gleaner.dedup.edges import _pivot_edges
from gleaner.dedup.jaccard import ShingleSets


def _walk_one_pivot_at_a_time(bucket, sets, row, threshold):
    """The walk as specified (the code before the counted version), the reference."""
    lefts, rights, similarities = [], [], []
    remaining = bucket
    while len(remaining) > 1:
        pivot, rest = remaining[0], remaining[1:]
        similarity = sets.jaccard(np.full(len(rest), row[pivot]), row[rest])
        matched = similarity >= threshold
        lefts.append(np.full(int(matched.sum()), pivot))
        rights.append(rest[matched])
        similarities.append(similarity[matched])
        remaining = rest[~matched]
    empty = [np.zeros(0, np.int64)]
    return np.concatenate(empty + lefts), np.concatenate(empty + rights), np.concatenate([np.zeros(0)] + similarities)


def _family_sets(rng: np.random.Generator, members: int, families: int, edit: float) -> ShingleSets:
    """Shingle lists of templated documents: a few bases, each member a base with some shingles replaced,
    so similarities spread around the threshold and clusters are not cliques."""
    bases = [rng.integers(0, 2**63, size=int(rng.integers(30, 200)), dtype=np.uint64) for _ in range(families)]
    lists = []
    for _ in range(members):
        base = bases[int(rng.integers(families))].copy()
        swap = rng.random(len(base)) < rng.random() * edit
        base[swap] = rng.integers(0, 2**63, size=int(swap.sum()), dtype=np.uint64)
        lists.append(base)
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
    return ShingleSets([(np.concatenate(lists), offsets)])


@pytest.fixture(params=["all pairs counted at once", "one pivot at a time"])
def counting(request, monkeypatch) -> None:
    """Both ways of counting a bucket's shared shingles (by its size, ``PIVOT_MATRIX_DOCS``)."""
    if request.param == "one pivot at a time":
        monkeypatch.setattr(edges, "PIVOT_MATRIX_DOCS", 0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_the_counted_walk_finds_the_same_edges_in_the_same_order(seed: int, threshold: float, counting) -> None:
    rng = np.random.default_rng(seed)
    members = int(rng.integers(65, 400))
    sets = _family_sets(rng, members, families=int(rng.integers(1, 40)), edit=[0.1, 0.4, 0.9][seed % 3])
    row = rng.permutation(members + 50)[:members]  # the bucket's records are rows of the chunk's sets...
    row_of = np.full(members + 50, -1)
    row_of[row] = np.arange(members)
    bucket = np.sort(row)  # ...and the bucket lists records in survival order
    expected = _walk_one_pivot_at_a_time(bucket, sets, row_of, threshold)
    got = _pivot_edges(bucket, sets, row_of, threshold)
    assert len(expected[0]) > 0
    for a, b in zip(got, expected, strict=True):
        assert np.array_equal(a, b)


def test_empty_documents_exact_copies_and_repeated_shingles_walk_the_same(counting) -> None:
    """Edge cases of the per-pivot count: documents without shingles (1.0 between two of them), exact
    copies (1.0), and lists holding a shingle twice (sets count it once)."""
    rng = np.random.default_rng(7)
    base = rng.integers(0, 2**63, size=80, dtype=np.uint64)
    lists = []
    for k in range(200):
        kind = k % 5
        if kind == 0:
            lists.append(np.zeros(0, np.uint64))
        elif kind == 1:
            lists.append(base.copy())
        elif kind == 2:
            lists.append(np.concatenate([base[:40], base[:40]]))  # every shingle twice: the set is half of base
        else:
            member = base.copy()
            swap = rng.random(len(member)) < 0.15
            member[swap] = rng.integers(0, 2**63, size=int(swap.sum()), dtype=np.uint64)
            lists.append(member)
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in lists])]).astype(np.int64)
    sets = ShingleSets([(np.concatenate(lists), offsets)])
    row = np.arange(len(lists))
    for threshold in (0.5, 0.8, 1.0):
        expected = _walk_one_pivot_at_a_time(row, sets, row, threshold)
        for a, b in zip(_pivot_edges(row, sets, row, threshold), expected, strict=True):
            assert np.array_equal(a, b)
