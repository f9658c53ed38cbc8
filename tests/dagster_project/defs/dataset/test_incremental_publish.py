"""Publishing through Dagster after a new day reads the new day plus the kept state, and the candidate and
the published version are the bytes a warehouse without any state gives for the same partitions."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from dagster_aws.s3 import S3Resource
from support.candidate_partitions import Partition, partitions

from dagster_project.defs.dataset.candidate import labeled_dataset_asset, summary_key
from dagster_project.defs.dataset.publish import training_data_asset
from dagster_project.lib.datasets import DATASETS
from dagster_project.resources.policy import PolicyResource
from dagster_project.resources.warehouse import S3WarehouseResource, WarehouseResource
from gleaner.storage import published_versions

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
    return {k: metadata[k].value for k in ("state_dedup", "state_agreement", "state_schema", "state_leak")}


def _published(warehouse: WarehouseResource) -> dict:
    """The candidate, the latest version's data files and its manifest's content fields (not its number,
    which counts the publishes, nor its time), read through the warehouse's store (local or S3)."""
    files = {"labeled_dataset": warehouse.store.read_bytes(f"{SPEC.name}/labeled_dataset/part-0.parquet")}
    versions = warehouse.versions(SPEC.name)
    latest = published_versions(versions)[-1]
    for key in versions.list_keys(f"v{latest}"):
        if key.endswith((".parquet", ".json")):
            files[key.rsplit("/", 1)[1]] = versions.read_bytes(key)
    manifest = json.loads(files.pop("manifest.json"))
    manifest["files"].pop("README.md")  # the card names the version
    content = ("files", "agreement", "agreement_overall", "dedup", "input_partitions", "rows_per_split_and_class")
    return {**files, "manifest": {k: manifest[k] for k in content}}


def _warehouse(backend: str, name: str, tmp_path: Path, request) -> WarehouseResource:
    if backend == "local":
        return WarehouseResource(root=str(tmp_path / name))
    s3 = S3Resource(endpoint_url=request.getfixturevalue("s3_server"), aws_access_key_id="test",
                    aws_secret_access_key="test", region_name="us-east-1", max_attempts=1)  # fmt: skip
    bucket = f"wh-{name}-{uuid.uuid4().hex[:8]}"
    s3.get_client().create_bucket(Bucket=bucket)
    return S3WarehouseResource(root=f"s3://{bucket}/prefix", s3=s3, state_dir=str(tmp_path / name / "state"))


@pytest.mark.parametrize(("order", "backend"), [("ABC", "local"), ("CAB", "local"), ("CAB", "s3")])
def test_a_new_day_publishes_incrementally_what_a_fresh_warehouse_publishes(
    order: str, backend: str, tmp_path: Path, request
) -> None:
    days = partitions()
    incremental = _warehouse(backend, "incremental", tmp_path, request)
    for n, day in enumerate(order):
        _write(incremental, days[day])
        notes = _state_notes(_publish(incremental))
        assert notes["state_dedup"].startswith("from scratch" if n == 0 else "incremental: 1 new partition")
        for part in ("state_schema", "state_leak"):  # "<done now> of <all> row(s) validated / text(s) sketched"
            done, _, total = notes[part].split()[:3]
            assert (done == total) if n == 0 else (0 < int(done) < int(total))
    assert incremental.store.list_keys(f"{SPEC.name}/candidate_state")  # the state lives in the warehouse
    fresh = _warehouse(backend, "fresh", tmp_path, request)
    for day in "ABC":
        _write(fresh, days[day])
    assert _state_notes(_publish(fresh))["state_dedup"] == "from scratch (no state yet)"
    assert _published(incremental) == _published(fresh)
    assert incremental.read_json(summary_key(SPEC)) == fresh.read_json(summary_key(SPEC))


def _candidate_event(result: dg.ExecuteInProcessResult):
    (event,) = [e for e in result.get_asset_materialization_events() if "labeled_dataset" in e.asset_key.path[-1]]
    return event.materialization.metadata


def _checks(result: dg.ExecuteInProcessResult) -> dict[str, tuple]:
    return {
        e.check_name: (e.passed, e.severity, e.description, e.metadata) for e in result.get_asset_check_evaluations()
    }


CANDIDATE_FILE = f"{SPEC.name}/labeled_dataset/part-0.parquet"


def _but_build_notes(metadata: dict) -> dict:
    """The metadata but what says how the candidate was reached (`build`, `state_*`)."""
    return {k: v for k, v in metadata.items() if k != "build" and not k.startswith("state_")}


def test_a_publish_with_nothing_new_keeps_the_last_candidate_and_rebuilds_when_anything_changed(tmp_path: Path):
    """Nothing new: the candidate is not built again, and its metadata and gate verdicts are the ones the
    build gave. A candidate file edited since, a garbled build record or a new partition: built again, to
    the bytes a build gives."""
    days = partitions()
    warehouse = _warehouse("local", "standing", tmp_path, None)
    for day in "AB":
        _write(warehouse, days[day])
    built = _publish(warehouse)
    assert _candidate_event(built)["build"].value == "built now"
    candidate, summary = warehouse.store.read_bytes(CANDIDATE_FILE), warehouse.read_json(summary_key(SPEC))
    published = _published(warehouse)

    kept = _publish(warehouse)
    assert _candidate_event(kept)["build"].value == "the last build's: nothing new since"
    assert _but_build_notes(_candidate_event(kept)) == _but_build_notes(_candidate_event(built))
    assert _checks(kept) == _checks(built) and len(_checks(built)) == 6
    assert warehouse.store.read_bytes(CANDIDATE_FILE) == candidate
    assert warehouse.read_json(summary_key(SPEC)) == summary and _published(warehouse) == published
    assert len(published_versions(warehouse.versions(SPEC.name))) == 1  # nothing new was published

    edited = pl.read_parquet(candidate).head(5)  # the candidate rewritten by hand: built again
    warehouse.write(f"{SPEC.name}/labeled_dataset", edited)
    assert _candidate_event(_publish(warehouse))["build"].value == "built now"
    assert warehouse.store.read_bytes(CANDIDATE_FILE) == candidate

    warehouse.store.write_bytes(f"{SPEC.name}/labeled_dataset/build.json", b"{not json")
    assert _candidate_event(_publish(warehouse))["build"].value == "built now"
    assert _candidate_event(_publish(warehouse))["build"].value == "the last build's: nothing new since"

    _write(warehouse, days["C"])
    rebuilt = _candidate_event(_publish(warehouse))
    assert rebuilt["build"].value == "built now" and rebuilt["state_dedup"].value == "incremental: 1 new partition(s)"
