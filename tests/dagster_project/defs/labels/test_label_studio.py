"""Label Studio without a server: formats, cursor, partition lookup, and what happens when the server is down."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from conftest import free_port

from dagster_project.defs.labels.assets import human_labels_asset, review_tasks_asset
from dagster_project.defs.labels.sensors import label_studio_sensor
from dagster_project.lib.datasets import DATASETS
from dagster_project.lib.partitions import partition_key
from dagster_project.resources.label_studio import LabelStudioResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.labeling.label_studio.api import LabelStudioClient, LabelStudioUnavailable
from gleaner.labeling.label_studio.export import build_import_tasks, parse_export
from gleaner.labeling.label_studio.review_sync import AnnotationCursor, new_annotations, record_partitions

PARTITION = {"source": "acme", "date": "2026-11-20"}

# Shaped like the JSON export example in Label Studio's docs ("Label Studio JSON format of annotated tasks").
DOCS_EXPORT = [
    {
        "id": 1,
        "data": {"record_id": "r1", "text": "Great product"},
        "annotations": [
            {
                "id": 1001,
                "result": [
                    {
                        "from_name": "sentiment",
                        "id": "Dx_aB91ISN",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": ["positive"]},
                    }
                ],
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": "2021-03-09T21:52:49.513742Z",
                "updated_at": "2021-03-09T22:16:08.632526Z",
                "lead_time": 4.288,
                "completed_by": 1,
                "task": 1,
                "project": 1,
            }
        ],
        "predictions": [],
    }
]


def test_export_and_import_formats_match_label_studio_docs():
    votes, problems = parse_export(DOCS_EXPORT)
    assert problems == []
    assert votes == [
        {
            "record_id": "r1",
            "annotator": "human:1",
            "annotation_id": "1001",
            "updated_at": "2021-03-09T22:16:08.632526Z",
            "lead_time": 4.288,  # seconds on the task, as Label Studio measured them
            "label": "positive",
        }
    ]
    # The import example with pre-annotations: data plus predictions carrying model_version and score.
    [task] = build_import_tasks([{"record_id": "r2", "text": "Meh", "guess": "negative", "confidence": 0.55}], "m1")
    assert task == {
        "data": {"record_id": "r2", "text": "Meh"},
        "predictions": [
            {
                "model_version": "m1",
                "score": 0.55,
                "result": [
                    {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["negative"]}}
                ],
            }
        ],
    }


def test_cursor_sees_new_and_edited_annotations_only():
    cursor = AnnotationCursor.from_json(None).advance(DOCS_EXPORT[0]["annotations"])
    assert cursor == AnnotationCursor(1001, "2021-03-09T22:16:08.632526Z")
    assert AnnotationCursor.from_json(cursor.to_json()) == cursor
    assert new_annotations(DOCS_EXPORT, cursor) == {}
    # Label Studio drops zero microseconds: 22:16:09Z is later than 22:16:08.632526Z though it sorts first.
    edited = [
        {**DOCS_EXPORT[0], "annotations": [{**DOCS_EXPORT[0]["annotations"][0], "updated_at": "2021-03-09T22:16:09Z"}]}
    ]
    assert list(new_annotations(edited, cursor)) == ["r1"]
    newer = [{**DOCS_EXPORT[0], "annotations": [{"id": 1002, "updated_at": "2021-01-01T00:00:00Z"}]}]
    assert list(new_annotations(newer, cursor)) == ["r1"]


DATASET = "review_sentiment"
human_labels, review_tasks = human_labels_asset(DATASETS[DATASET]), review_tasks_asset(DATASETS[DATASET])


def test_record_partitions_prefers_review_tasks_then_deduped_records(tmp_path: Path):
    warehouse = WarehouseResource(root=str(tmp_path))
    other = {"source": "acme", "date": "2026-11-21"}
    warehouse.write(f"{DATASET}/review_tasks", pl.DataFrame({"record_id": ["r1"]}), PARTITION)
    warehouse.write(f"{DATASET}/deduped_records", pl.DataFrame({"record_id": ["r1", "r2"]}), PARTITION)
    warehouse.write(f"{DATASET}/deduped_records", pl.DataFrame({"record_id": ["r3"]}), other)
    found = record_partitions(warehouse.path, {"r1", "r2", "r3", "gone"}, DATASET)
    assert found == {"r1": ("acme", "2026-11-20"), "r2": ("acme", "2026-11-20"), "r3": ("acme", "2026-11-21")}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: a hung server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_client_gives_up_after_bounded_retries(silent_port: int):
    slept: list[float] = []
    slow = LabelStudioClient(f"http://127.0.0.1:{silent_port}", "t", timeout=0.2, attempts=3, sleep=slept.append)
    with pytest.raises(LabelStudioUnavailable, match=r"after 3 attempts \(timeout 0.2s each\)"):
        slow.find_project("x")
    assert slept == [1.0, 2.0]
    down = LabelStudioClient(f"http://127.0.0.1:{free_port()}", "t", attempts=2, sleep=slept.append)
    with pytest.raises(LabelStudioUnavailable, match="Is the server running"):
        down.export(1)
    assert not down.health()


def _warehouse_with_review(root: Path) -> WarehouseResource:
    warehouse = WarehouseResource(root=str(root))
    records = pl.DataFrame({"record_id": ["r1"], "text": ["meh"], "rating": [3.0]})
    warehouse.write(f"{DATASET}/deduped_records", records, PARTITION)
    resolved = {
        "record_id": ["r1"],
        "annotator_kind": ["resolved"],
        "status": ["needs_review"],
        "guess": ["positive"],
        "confidence": [0.5],
        "basis": ["rules conflict"],
    }
    warehouse.write(f"{DATASET}/labels", pl.DataFrame(resolved), PARTITION)
    return warehouse


def test_server_down_fails_assets_cleanly_and_sensor_skips(tmp_path: Path):
    warehouse = _warehouse_with_review(tmp_path / "wh")
    down = LabelStudioResource(url=f"http://127.0.0.1:{free_port()}", api_key="t", attempts=1, timeout_seconds=1)
    key = partition_key(PARTITION["source"], PARTITION["date"])
    for asset in (review_tasks, human_labels):
        with pytest.raises(dg.Failure, match="did not answer"):
            dg.materialize([asset], partition_key=key, resources={"warehouse": warehouse, "label_studio": down})
    assert not (warehouse.path / DATASET / "review_tasks").exists()
    assert not (warehouse.path / DATASET / "human_labels").exists()

    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(), resources={"label_studio": down, "warehouse": warehouse}
    )
    result = label_studio_sensor(context)
    assert not result.run_requests and "unavailable, trying again next tick" in result.skip_reason.skip_message
    assert result.cursor is None  # nothing seen, nothing skipped over


def test_without_a_server_the_file_path_is_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from dagster_project.resources.environments import resources_for_env

    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    files_only = resources_for_env("local")["label_studio"]
    assert not files_only.configured and files_only.export_paths
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "secret")
    served = resources_for_env("local")["label_studio"]
    assert served.export_paths == []
    warehouse = _warehouse_with_review(tmp_path / "wh")
    result = dg.materialize(
        [review_tasks],
        partition_key=partition_key(PARTITION["source"], PARTITION["date"]),
        resources={"warehouse": warehouse, "label_studio": LabelStudioResource()},
    )
    assert (
        result.success
        and (warehouse.path / DATASET / "review_tasks/source=acme/date=2026-11-20/label_studio_import.json").exists()
    )
    skipped = label_studio_sensor(
        dg.build_sensor_context(resources={"label_studio": LabelStudioResource(), "warehouse": warehouse})
    )
    assert "not configured" in skipped.skip_reason.skip_message


def _export(lead_times: dict[tuple[str, int], object]) -> list[dict]:
    """A Label Studio export: (record, annotator id) -> lead_time; "absent" leaves the field out."""
    tasks: dict[str, dict] = {}
    for n, ((record_id, user), lead_time) in enumerate(sorted(lead_times.items()), start=1):
        annotation = {
            "id": n,
            "completed_by": user,
            "updated_at": "2026-11-20T10:00:00Z",
            "result": [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["neutral"]}}],
        }
        if lead_time != "absent":
            annotation["lead_time"] = lead_time
        task = tasks.setdefault(record_id, {"id": len(tasks) + 1, "data": {"record_id": record_id}, "annotations": []})
        task["annotations"].append(annotation)
    return list(tasks.values())


def _materialize_humans(tmp_path: Path, export: list[dict]) -> tuple[dict, pl.DataFrame]:
    warehouse = _warehouse_with_review(tmp_path / "wh")
    warehouse.write(f"{DATASET}/deduped_records", pl.DataFrame({"record_id": ["r1", "r2", "r3"]}), PARTITION)
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    studio = LabelStudioResource(export_paths=[f"{DATASET}={path}"])
    result = dg.materialize(
        [human_labels],
        partition_key=partition_key(PARTITION["source"], PARTITION["date"]),
        resources={"warehouse": warehouse, "label_studio": studio},
    )
    assert result.success
    [materialization] = result.asset_materializations_for_node(f"{DATASET}__human_labels")
    metadata = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
    return metadata, warehouse.read(f"{DATASET}/human_labels", PARTITION)


def test_human_labels_report_records_per_annotator_hour_from_lead_time(tmp_path: Path):
    # ana: 2 records in 30 s (240/h); ben: 2 records in 60 s (120/h) and one with no time; "r9" is not ours
    export = _export(
        {("r1", 1): 10.0, ("r2", 1): 20.0, ("r1", 2): 24.0, ("r3", 2): 36.0, ("r2", 2): None, ("r9", 1): 3600.0}
    )
    metadata, frame = _materialize_humans(tmp_path, export)
    assert frame.height == 5 and frame["lead_time"].dtype == pl.Float64
    assert metadata["velocity/human:1"] == 240.0 and metadata["velocity/human:2"] == 120.0
    assert metadata["velocity_records_per_hour"] == 120.0  # 3 records in 90 s of both people's time
    assert metadata["annotations_without_lead_time"] == 1 and "velocity_note" not in metadata
    table = metadata["velocity"]
    assert "| human:1 | 2 | 0.0083 | 240.0 | 100% | 0 |" in table
    assert "| all annotators | 3 | 0.025 | 120.0 | 50% | 1 |" in table


def test_human_labels_without_lead_times_say_there_is_no_velocity(tmp_path: Path):
    metadata, frame = _materialize_humans(tmp_path, _export({("r1", 1): "absent", ("r2", 1): "fast", ("r3", 1): -4}))
    assert frame["lead_time"].to_list() == [None, None, None]
    assert not any(k == "velocity_records_per_hour" or k.startswith("velocity/") for k in metadata)
    assert metadata["annotations_without_lead_time"] == 3
    assert "no annotation carries a Label Studio lead_time" in metadata["velocity_note"]
    assert "| all annotators | 0 | 0.0 | n/a | n/a | 3 |" in metadata["velocity"]
