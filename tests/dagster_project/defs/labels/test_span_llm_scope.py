"""A spans dataset under `llm.scope: unsettled` asks the LLM only about records neither people nor the span
rules settle (the stand-in counts what the real SDK sent), and its review queue puts the most disputed first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from fakes.anthropic_standin import AnthropicStandIn, entities

from dagster_project.defs.labels.assets import span_labels_asset
from dagster_project.lib.datasets import DATASETS
from dagster_project.lib.partitions import partition_key
from dagster_project.resources.llm import LLMLabelerResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.datasets import record_view, span_functions
from gleaner.labeling import SPAN_HUMAN_SCHEMA, span_review_queue
from gleaner.labeling.scope import records_for_llm
from gleaner.labeling.span_partition import SPAN_LABEL_SCHEMA, apply_span_functions, span_rules_settled

SPEC = DATASETS["product_entities"]  # llm.scope: unsettled, the default
KEY = "sk-ant-span-scope-test-0123456789abcdef"
PARTITION = {"source": "acme", "date": "2026-11-20"}
RECORDS = {
    "p1": "Acme Kettle",  # the gazetteer finds two entities, the patterns none: the rules disagree
    "p2": "Gift card",  # neither rule set finds anything: they agree there is no entity
    "p3": "Globex Toaster",  # unsettled by the rules, but a person labelled it
}


@pytest.fixture
def api() -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn(KEY) as server:
        server.on("Acme Kettle", then=entities(("Acme", "BRAND"), ("Kettle", "PRODUCT_TYPE")))
        server.on("Globex Toaster", then=entities(("Globex", "BRAND"), ("Toaster", "PRODUCT_TYPE")))
        server.on("Gift card", then=entities())
        yield server


def _warehouse(root: Path) -> WarehouseResource:
    warehouse = WarehouseResource(root=str(root))
    records = pl.DataFrame({"record_id": list(RECORDS), "title": list(RECORDS.values())})
    warehouse.write(f"{SPEC.name}/deduped_records", records, PARTITION)
    human = {
        "record_id": "p3",
        "annotator": "ana",
        "annotation_id": "1",
        "updated_at": "2026-11-21T10:00:00Z",
        "spans_json": '[{"end":6,"label":"BRAND","start":0,"text":"Globex"}]',
    }
    warehouse.write(f"{SPEC.name}/human_labels", pl.DataFrame([human], schema=SPAN_HUMAN_SCHEMA), PARTITION)
    return warehouse


def test_the_llm_is_asked_only_where_the_span_rules_and_people_leave_a_record_open(
    api: AnthropicStandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    views = [record_view(SPEC, {"record_id": r, "title": t}) for r, t in RECORDS.items()]
    policy = SPEC.label_policy()
    settled = span_rules_settled(apply_span_functions(views, span_functions(SPEC)), policy, SPEC.label_names)
    open_ids = [v.record_id for v in records_for_llm(views, settled, "unsettled")]
    assert open_ids == ["p1", "p3"]  # the rules settle p2 (no entity), not p1 or p3

    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    llm = LLMLabelerResource(api_key=dg.EnvVar("ANTHROPIC_API_KEY"), base_url=api.base_url, timeout_seconds=5.0)
    warehouse = _warehouse(tmp_path / "warehouse")
    result = dg.materialize(
        [span_labels_asset(SPEC)],
        partition_key=partition_key(PARTITION["source"], PARTITION["date"]),
        resources={"warehouse": warehouse, "llm": llm},
    )
    assert result.success
    asked = {r.user_text() for r in api.message_requests()}
    assert any("Acme Kettle" in text for text in asked)
    assert not any("Gift card" in text or "Globex Toaster" in text for text in asked)
    metadata = result.asset_materializations_for_node(result.all_node_events[0].node_name)[0].metadata
    assert metadata["llm_asked"].value == 1

    resolved = warehouse.read(f"{SPEC.name}/labels", PARTITION).filter(annotator_kind="resolved").sort("record_id")
    # p1: the LLM agrees with the gazetteer, the patterns found nothing: still disputed, so a person sees it
    assert resolved["status"].to_list() == ["needs_review", "auto", "human"]


def test_the_span_review_queue_puts_the_most_disputed_record_first() -> None:
    def resolved(record_id: str, confidence: float | None) -> dict:
        return {"record_id": record_id, "annotator": "resolved", "annotator_kind": "resolved", "spans_json": None,
                "confidence": confidence, "status": "needs_review", "basis": "machine sources disagree",
                "guess": "[]", "reason": None, "conditional": None}  # fmt: skip

    labels = pl.DataFrame(
        [resolved("a", 0.75), resolved("b", 0.1), resolved("c", None), resolved("d", 0.75)],
        schema=SPAN_LABEL_SCHEMA,
        orient="row",
    )
    records = pl.DataFrame({"record_id": ["a", "b", "c", "d"], "text": ["A", "B", "C", "D"]})
    queue = span_review_queue(labels, records)
    assert [r["record_id"] for r in queue] == ["c", "b", "a", "d"]
    assert [r["priority"] for r in queue] == [1.0, 0.9, 0.25, 0.25]
