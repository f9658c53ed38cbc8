"""Span review against a real Label Studio server: the product_entities project is made from its dataset file
(`Labels` over `Text`), uncertain titles go out with the rules' spans as pre-annotations, a person's spans
come back in Label Studio's NER shape and settle the record."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from fakes.label_studio_server import LabelStudioServer

from dagster_project.defs.labels.assets import human_labels_asset, labels_factory, review_tasks_asset
from dagster_project.lib.datasets import DATASETS
from dagster_project.lib.partitions import partition_key
from dagster_project.resources.label_studio import LabelStudioResource
from dagster_project.resources.llm import LLMLabelerResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.labeling.label_studio import CONTROL_NAME, TEXT_NAME

pytestmark = pytest.mark.e2e

SPEC = DATASETS["product_entities"]
PARTITION = {"source": "acme", "date": "2026-11-20"}
TITLES = {
    "p1": "Vortex Blender 500 Matte Black 1.5L",
    "p2": "Acme Stainless Steel Kettle 1.7L Silver",
}
human_labels, labels, review_tasks = (f(SPEC) for f in (human_labels_asset, labels_factory, review_tasks_asset))


def _materialize(assets: list, **resources: object) -> dg.ExecuteInProcessResult:
    result = dg.materialize(assets, partition_key=partition_key(**PARTITION), resources=resources)
    assert result.success
    return result


def _resolved(warehouse: WarehouseResource) -> dict[str, dict]:
    frame = warehouse.read(f"{SPEC.name}/labels", PARTITION).filter(pl.col("annotator_kind") == "resolved")
    return {r["record_id"]: r for r in frame.iter_rows(named=True)}


def _span(text: str, part: str, label: str) -> dict:
    start = text.index(part)
    value = {"start": start, "end": start + len(part), "text": part, "labels": [label]}
    return {"from_name": CONTROL_NAME, "to_name": TEXT_NAME, "type": "labels", "value": value}


def test_span_tasks_go_out_with_pre_annotations_and_people_settle_them(
    label_studio_server: LabelStudioServer, tmp_path: Path
):
    server = label_studio_server
    warehouse = WarehouseResource(root=str(tmp_path / "warehouse"))
    records = pl.DataFrame([{"record_id": r, "title": t, "text": t} for r, t in TITLES.items()])
    warehouse.write(f"{SPEC.name}/deduped_records", records, PARTITION)
    studio = LabelStudioResource(url=server.url, api_key=server.token, project_title=f"g{uuid.uuid4().hex[:8]}")
    off = LLMLabelerResource()  # no key: rules and people only

    _materialize([labels], warehouse=warehouse, llm=off)
    assert {r["status"] for r in _resolved(warehouse).values()} == {"needs_review"}  # the two rule sets differ
    pushed = _materialize([review_tasks], warehouse=warehouse, label_studio=studio)
    [materialization] = pushed.asset_materializations_for_node(f"{SPEC.name}__review_tasks")
    assert materialization.metadata["tasks_created"].value == 2

    client = studio.client()
    project = client.find_project(studio.title(SPEC.name))
    assert project and "<Labels" in project["label_config"] and 'value="BRAND"' in project["label_config"]
    tasks = {t["data"]["record_id"]: t for t in client.tasks(int(project["id"]))}
    full = client._request("GET", f"/api/tasks/{tasks['p1']['id']}")
    [prediction] = full["predictions"]
    predicted = {(r["value"]["text"], r["value"]["labels"][0]) for r in prediction["result"]}
    assert ("Vortex", "BRAND") in predicted and ("1.5L", "CAPACITY") in predicted  # the rules' spans, as offsets

    title = TITLES["p1"]
    drawn = [_span(title, "Vortex", "BRAND"), _span(title, "Blender", "PRODUCT_TYPE"), _span(title, "500", "MODEL"),
             _span(title, "Matte Black", "COLOR"), _span(title, "1.5L", "CAPACITY")]  # fmt: skip
    client.annotate(tasks["p1"]["id"], drawn)

    result = _materialize([human_labels, labels], warehouse=warehouse, label_studio=studio, llm=off)
    [pulled] = result.asset_materializations_for_node(f"{SPEC.name}__human_labels")
    assert pulled.metadata["records_annotated"].value == 1
    resolved = _resolved(warehouse)
    assert resolved["p1"]["status"] == "human" and resolved["p2"]["status"] == "needs_review"
    humans = warehouse.read(f"{SPEC.name}/human_labels", PARTITION)
    spans = json.loads(humans["spans_json"][0])
    assert humans.height == 1 and [(s["text"], s["label"]) for s in spans] == [
        (v["value"]["text"], v["value"]["labels"][0]) for v in drawn
    ]
    assert resolved["p1"]["spans_json"] == humans["spans_json"][0]
