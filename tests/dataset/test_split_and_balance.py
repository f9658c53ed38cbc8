"""The candidate's splits and balancing on polars columns give the rows the per-row version gave: the same
rows, values and order, for both strategies, on generated frames from empty to thousands of rows."""

import random
from datetime import UTC, datetime

import polars as pl
import pytest

from gleaner.dataset.balancing import balance_split
from gleaner.dataset.candidate import CandidatePolicy, _split_and_balance
from gleaner.dataset.splitting import RANK_COLUMNS, SPLITS, SplitRatios, assign_splits, stable_rank, stable_rank_columns


def _per_row(labelled: pl.DataFrame, policy: CandidatePolicy) -> list[dict]:
    """`_split_and_balance` as it was: dicts, `assign_splits` and `balance_split` per split."""
    rows = labelled.to_dicts()
    splits = assign_splits({r["cluster_id"]: r["label"] for r in rows}, policy.ratios)
    for row in rows:
        row["split"] = splits[row["cluster_id"]]
    return [
        row
        for split in SPLITS
        for row in balance_split(
            [r for r in rows if r["split"] == split],
            split,
            "label",
            "record_id",
            policy.max_class_ratio,
            policy.balance_strategy,
        )
    ]


def _as_candidate(labelled: pl.DataFrame, rows: list[dict]) -> pl.DataFrame:
    """The rows as the candidate frame was built from them: the labelled columns plus split and oversampled,
    sorted by split, record_id and oversampled."""
    schema = labelled.schema | {"split": pl.String, "oversampled": pl.Boolean}
    return pl.DataFrame(rows, schema=schema, orient="row").sort(["split", "record_id", "oversampled"])


def _labelled(n: int, seed: int, labels: list[str]) -> pl.DataFrame:
    """Skewed labels, ~15% of records in another record's cluster (sometimes with another label), a few
    record ids repeated (a review kept in two partitions), in no particular order."""
    rng = random.Random(seed)
    ids = [f"{rng.getrandbits(40):010x}" for _ in range(n)]
    for i in range(n):
        if i and rng.random() < 0.03:
            ids[i] = ids[rng.randrange(i)]
    return pl.DataFrame(
        {
            "record_id": ids,
            "source": [rng.choice(["acme", "globex"]) for _ in range(n)],
            "partition_date": [f"2026-11-0{rng.randint(1, 9)}" for _ in range(n)],
            "cluster_id": [ids[rng.randrange(i)] if i and rng.random() < 0.15 else ids[i] for i in range(n)],
            "text": [f"review {i}" for i in range(n)],
            "scraped_at": [datetime(2026, 11, 2, rng.randint(0, 23), tzinfo=UTC)] * n,
            "label": [rng.choice(labels) for _ in range(n)],
            "confidence": [round(rng.random(), 3) for _ in range(n)],
        },
        schema_overrides={"label": pl.String},
    )


SKEWED = ["positive"] * 6 + ["negative"] * 3 + ["neutral"]


@pytest.mark.parametrize("strategy", ["undersample", "oversample"])
@pytest.mark.parametrize(
    ("n", "labels", "max_ratio"),
    [
        (0, SKEWED, 1.5),
        (1, SKEWED, 1.5),
        (2, ["a", "b"], 1.0),
        (7, SKEWED, 1.5),
        (60, ["only"], 1.5),
        (400, SKEWED, 1.0),
        (3000, SKEWED, 1.5),
        (2500, ["positive"] * 20 + ["negative"], 3.0),
    ],
)
def test_columns_give_the_rows_the_per_row_version_gave(strategy, n, labels, max_ratio):
    policy = CandidatePolicy(max_class_ratio=max_ratio, balance_strategy=strategy, ratios=SplitRatios(0.7, 0.2, 0.1))
    for seed in (1, 2):
        labelled = _labelled(n, seed, labels)
        expected = _as_candidate(labelled, _per_row(labelled, policy))
        got = _split_and_balance(labelled, policy)
        assert got.equals(expected)
        assert got.schema == expected.schema  # same columns, same order, same types
        if n >= 400 and len(set(labels)) > 1:
            assert got["split"].n_unique() == 3
            assert got["oversampled"].any() == (strategy == "oversample")
            assert strategy == "oversample" or got.height < n  # undersampling did drop rows


def test_a_cluster_with_a_null_id_is_split_as_the_row_version_splits_it():
    labelled = _labelled(200, 5, SKEWED).with_columns(
        cluster_id=pl.when(pl.int_range(pl.len()) % 17 == 0).then(None).otherwise(pl.col("cluster_id"))
    )
    policy = CandidatePolicy()
    assert _split_and_balance(labelled, policy).equals(_as_candidate(labelled, _per_row(labelled, policy)))


@pytest.mark.parametrize(
    ("keys", "labels"),
    [
        (["a", None, "ü€", ""], ["pos", "neg", None, "pos"]),
        ([3, None, -1, 10**12], ["x", "y", "x", "y"]),
        ([True, False, None], ["t", "t", "f"]),
        ([1.5, 2.0, None], ["a", "a", "b"]),
        ([], []),
    ],
)
def test_rank_columns_hash_what_str_writes(keys, labels):
    """Each key and label as `str` writes it (a missing one "None", `True` not polars' "true"), whatever
    the column's type: the digests `stable_rank` gives row by row."""
    columns = stable_rank_columns(pl.Series(keys), "split:", pl.Series(labels, dtype=pl.String))
    expected = [stable_rank(str(k), f"split:{label}") for k, label in zip(keys, labels, strict=True)]
    words = zip(*(columns[name].to_list() for name in RANK_COLUMNS), strict=True)
    assert ["".join(f"{w:016x}" for w in row) for row in words] == expected
