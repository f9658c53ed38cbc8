"""Publishing through Dagster after a new day reads the new day plus the kept state, and the candidate and
the published version are the bytes a warehouse without any state gives for the same partitions."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest
from support.candidate_partitions import Partition, partitions

from dagster_project.defs.dataset.candidate import labeled_dataset_asset, summary_key
from dagster_project.defs.dataset.publish import training_data_asset
from dagster_project.lib.datasets import DATASETS
from dagster_project.resources.policy import PolicyResource
from dagster_project.resources.warehouse import WarehouseResource

SPEC = DATASETS["review_sentiment"]


def _write(warehouse: WarehouseResource, day: Partition) -> None:
    tables = {"canonical_records": day.canonical, "deduped_records": day.deduped, "labels": day.votes,
              "near_duplicates": day.removals}  # fmt: skip
    for name, frame in tables.items():
        warehouse.write(f"{SPEC.name}/{name}", frame, day.key)


def _publish(warehouse: WarehouseResource) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [labeled_dataset_asset(SPEC), training_data_asset(SPEC)[0]],
        resources={"warehouse": warehouse, "policy": PolicyResource()},
    )


def _state_notes(result: dg.ExecuteInProcessResult) -> dict[str, str]:
    (event,) = [e for e in result.get_asset_materialization_events() if "labeled_dataset" in e.asset_key.path[-1]]
    metadata = event.materialization.metadata
    return {k: metadata[k].value for k in ("state_dedup", "state_agreement")}


def _published(root: Path) -> dict:
    """The candidate, the latest version's data files and its manifest's content fields (not its number,
    which counts the publishes, nor its time)."""
    files = {"labeled_dataset": (root / SPEC.name / "labeled_dataset" / "part-0.parquet").read_bytes()}
    latest = max((root / "training_data" / SPEC.name).glob("v*"), key=lambda p: int(p.name[1:]))
    files |= {p.name: p.read_bytes() for p in sorted(latest.iterdir()) if p.suffix in (".parquet", ".json")}
    manifest = json.loads(files.pop("manifest.json"))
    content = ("files", "agreement", "agreement_overall", "dedup", "input_partitions", "rows_per_split_and_class")
    manifest["files"].pop("README.md")  # the card names the version
    return {**files, "manifest": {k: manifest[k] for k in content}}


@pytest.mark.parametrize("order", ["ABC", "CAB"])
def test_a_new_day_publishes_incrementally_what_a_fresh_warehouse_publishes(order: str, tmp_path: Path) -> None:
    days = partitions()
    incremental = WarehouseResource(root=str(tmp_path / "incremental"))
    for n, day in enumerate(order):
        _write(incremental, days[day])
        notes = _state_notes(_publish(incremental))
        assert notes["state_dedup"].startswith("from scratch" if n == 0 else "incremental: 1 new partition")
    fresh = WarehouseResource(root=str(tmp_path / "fresh"))
    for day in "ABC":
        _write(fresh, days[day])
    assert _state_notes(_publish(fresh))["state_dedup"] == "from scratch (no state yet)"
    assert _published(tmp_path / "incremental") == _published(tmp_path / "fresh")
    assert incremental.read_json(summary_key(SPEC)) == fresh.read_json(summary_key(SPEC))
