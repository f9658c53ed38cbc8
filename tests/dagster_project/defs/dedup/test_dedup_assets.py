"""The dedup assets materialized by Dagster, partition by partition, in order and out of order.

Per-partition results may differ with the order (that is what the index join can see); the kept set after
the global pass must not, and must equal `gleaner dedup` over every record at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from support.dedup_texts import chain, words  # chain: a ~ b ~ c at Jaccard >= 0.8, a and c below it

from dagster_project.defs.dedup.assets import dedup_assets
from dagster_project.lib.datasets import DATASETS
from dagster_project.lib.partitions import partition_key
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.dedup.global_pass import GlobalDedup, global_dedup
from gleaner.dedup.kernel import dedup

DAY1, DAY2 = "2026-11-20", "2026-11-21"
START = datetime(2026, 11, 20, tzinfo=UTC)


def partitions() -> dict[str, pl.DataFrame]:
    """Day 1 holds the originals; day 2 later copies of them, a chain through day 1, and its own records."""
    a, b, c = chain()
    copy = " ".join(words("copy", 60))
    day1 = [("d1-a", a, 0), ("d1-copy", copy, 1)] + [(f"d1-{i}", " ".join(words(f"one{i}-", 40)), 2) for i in range(5)]
    day2 = [("d2-b", b, 0), ("d2-c", c, 1), ("d2-copy", copy.upper(), 2), ("d2-short", "Buy now", 3)]
    day2 += [(f"d2-{i}", " ".join(words(f"two{i}-", 40)), 4) for i in range(5)]

    def frame(rows: list[tuple[str, str, int]], day: str) -> pl.DataFrame:
        base = START + timedelta(days=0 if day == DAY1 else 1)
        return pl.DataFrame(
            {
                "record_id": [r[0] for r in rows],
                "text": [r[1] for r in rows],
                "scraped_at": [base + timedelta(minutes=r[2]) for r in rows],
                "source": ["acme"] * len(rows),
            },
            schema={
                "record_id": pl.String,
                "text": pl.String,
                "scraped_at": pl.Datetime("us", "UTC"),
                "source": pl.String,
            },
        )

    return {DAY1: frame(day1, DAY1), DAY2: frame(day2, DAY2)}


DATASET = "review_sentiment"
deduped_records = dedup_assets(DATASETS[DATASET])


def materialize_in(root: Path, days: list[str]) -> WarehouseResource:
    warehouse = WarehouseResource(root=str(root))
    for day, records in partitions().items():
        warehouse.write(f"{DATASET}/canonical_records", records, {"source": "acme", "date": day})
    for day in days:
        result = dg.materialize(
            [deduped_records],
            partition_key=partition_key("acme", day),
            resources={"warehouse": warehouse},
        )
        assert result.success
        assert all(check.passed for check in result.get_asset_check_evaluations())
    return warehouse


def kept_and_clusters(frame: pl.DataFrame) -> dict[str, str]:
    return dict(frame.select("record_id", "cluster_id").sort("record_id").iter_rows())


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, WarehouseResource]:
    orders = {"in_order": [DAY1, DAY2], "reversed": [DAY2, DAY1], "twice": [DAY1, DAY2, DAY1, DAY2]}
    return {name: materialize_in(tmp_path_factory.mktemp(name), days) for name, days in orders.items()}


def global_pass(warehouse: WarehouseResource) -> GlobalDedup:
    deduped = warehouse.read_all(f"{DATASET}/deduped_records")
    canonical = warehouse.read_all(f"{DATASET}/canonical_records")
    return global_dedup(deduped, 0.8, canonical)


def test_per_partition_results_depend_on_the_order_but_the_global_pass_does_not(runs, tmp_path):
    in_order = runs["in_order"].read_all(f"{DATASET}/deduped_records")
    reversed_ = runs["reversed"].read_all(f"{DATASET}/deduped_records")
    # In order, day 2's copies go in favour of day 1; reversed, day 2 kept b and its copy (their originals had
    # not arrived) and removed c in b's favour, and day 1 could only report b and the copy as stale.
    assert set(in_order["record_id"]) - set(reversed_["record_id"]) == {"d2-c"}
    assert set(reversed_["record_id"]) - set(in_order["record_id"]) == {"d2-b", "d2-copy"}

    results = {name: global_pass(warehouse) for name, warehouse in runs.items()}
    assert results["in_order"].kept_ids == results["reversed"].kept_ids == results["twice"].kept_ids
    every = pl.concat(list(partitions().values()))
    assert results["in_order"].kept_ids == dedup(every["record_id"], every["text"], every["scraped_at"]).kept_ids
    assert results["in_order"].survivors.equals(results["twice"].survivors)
    clusters = kept_and_clusters(results["in_order"].survivors)
    assert clusters["d2-c"] == "d1-a"  # kept (below 0.8 to a) yet in a's cluster, so in a's split

    # Reversed, c is kept globally but its partition removed it: it is named, left out (it has no labels),
    # and materializing that partition again, now that day 1 is indexed, brings it back.
    assert results["in_order"].reinstated_ids == []
    assert results["reversed"].reinstated_ids == ["d2-c"]
    assert kept_and_clusters(results["reversed"].survivors) == {k: v for k, v in clusters.items() if k != "d2-c"}
    rerun = materialize_in(tmp_path / "rerun", [DAY2, DAY1, DAY2])
    assert global_pass(rerun).survivors.equals(results["in_order"].survivors)


def test_near_duplicates_log_and_metadata(runs):
    removals = runs["in_order"].read_all(f"{DATASET}/near_duplicates").sort("removed_id")
    rows = {r["removed_id"]: r for r in removals.iter_rows(named=True)}
    assert set(rows) == {"d2-b", "d2-copy"}
    assert (rows["d2-b"]["kept_id"], rows["d2-b"]["kind"]) == ("d1-a", "near")
    assert rows["d2-b"]["jaccard"] >= 0.8
    copy = rows["d2-copy"]
    assert (copy["kept_id"], copy["kind"], copy["jaccard"]) == ("d1-copy", "exact", 1.0)
    canonical = runs["in_order"].read_all(f"{DATASET}/canonical_records")
    deduped = runs["in_order"].read_all(f"{DATASET}/deduped_records")
    assert canonical.height == deduped.height + removals.height


def test_rematerializing_a_partition_gives_the_same_rows(runs):
    once = runs["in_order"].read(f"{DATASET}/deduped_records", {"source": "acme", "date": DAY2})
    twice = runs["twice"].read(f"{DATASET}/deduped_records", {"source": "acme", "date": DAY2})
    assert once.equals(twice)
