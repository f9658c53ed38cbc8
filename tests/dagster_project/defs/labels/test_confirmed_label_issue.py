"""A label people confirmed is never flagged again.

cleanlab flags an automatic label the model in the loop finds unlikely (basis `label_issue`) and sends it
to review. Once a person gives it the same label, it is a human label: no later run flags it, neither its
own partition's nor another partition's that learns from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from fakes.anthropic_standin import AnthropicStandIn, ok

from dagster_project.defs.labels.assets import labels_asset
from dagster_project.lib.datasets import DATASETS
from dagster_project.lib.partitions import partition_key, with_partition
from dagster_project.resources.llm import LLMLabelerResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.labeling import HUMAN_SCHEMA, in_audit

SPEC = DATASETS["review_sentiment"]
LABELS = labels_asset(SPEC)
KEY = "sk-ant-confirmed-test-0123456789abcdef"
A = {"source": "acme", "date": "2026-11-20"}
B = {"source": "globex", "date": "2026-11-21"}
PLANTED = "a-planted"
PLANTED_TEXT = "excellent kettle, I love it, superb"  # no stars: one rule votes, so the LLM is asked
PRAISE = ["great {}, works perfectly, lovely", "excellent {}, I love it", "superb {}, highly recommend"]
COMPLAINTS = ["awful {}, broke after a week", "terrible {}, I want a refund", "useless {}, it leaks everywhere"]
THINGS = ["kettle", "toaster", "blender", "lamp", "fan", "mixer", "clock", "radio", "heater", "grill", "iron"]
SCHEMA = {"record_id": pl.String, "text": pl.String, "rating": pl.Float64}


def _records(prefix: str, n: int) -> list[tuple[str, str, float | None]]:
    rows: list[tuple[str, str, float | None]] = []
    for i in range(n):
        positive = i % 2 == 0
        text = (PRAISE if positive else COMPLAINTS)[i % 3].format(THINGS[i % len(THINGS)])
        rows.append((f"{prefix}{i:03d}", f"{text} ({prefix} {i})", 5.0 if positive else 1.0))
    return rows


@pytest.fixture
def api() -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn(KEY) as server:
        server.on(PLANTED_TEXT, then=ok("negative", confidence=0.99))  # confidently wrong
        yield server


@pytest.fixture
def llm(api: AnthropicStandIn) -> LLMLabelerResource:
    return LLMLabelerResource(api_key=KEY, base_url=api.base_url, timeout_seconds=5.0)


def _write(warehouse: WarehouseResource, asset: str, frame: pl.DataFrame, partition: dict[str, str]) -> None:
    warehouse.write(f"{SPEC.name}/{asset}", with_partition(frame, partition), partition)


def _run(warehouse: WarehouseResource, llm: LLMLabelerResource, partition: dict[str, str]) -> dict[str, object]:
    result = dg.materialize(
        [LABELS],
        partition_key=partition_key(partition["source"], partition["date"]),
        resources={"warehouse": warehouse, "llm": llm},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    [materialization] = result.asset_materializations_for_node(f"{SPEC.name}__labels")
    return {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}


def _planted(warehouse: WarehouseResource) -> dict:
    labels = warehouse.read(f"{SPEC.name}/labels", A)
    [row] = labels.filter((pl.col("annotator_kind") == "resolved") & (pl.col("record_id") == PLANTED)).to_dicts()
    return row


def test_a_flagged_label_people_confirmed_is_not_flagged_in_later_runs(
    tmp_path: Path, api: AnthropicStandIn, llm: LLMLabelerResource
) -> None:
    assert not in_audit(PLANTED, SPEC.review.audit_fraction)  # it would go to review as an audit record
    warehouse = WarehouseResource(root=str(tmp_path / "warehouse"))
    _write(warehouse, "deduped_records", pl.DataFrame([*_records("a", 60), (PLANTED, PLANTED_TEXT, None)],
                                                      schema=SCHEMA, orient="row"), A)  # fmt: skip

    flagged = _run(warehouse, llm, A)
    row = _planted(warehouse)
    assert (row["status"], row["basis"], row["guess"]) == ("needs_review", "label_issue", "negative")
    assert flagged["label_issues"] >= 1

    # A person looks at it and gives it the same label.
    confirmed = pl.DataFrame([(PLANTED, "ann", "1", "2026-11-22T09:00:00Z", "negative", 15.0)], schema=HUMAN_SCHEMA,
                             orient="row")  # fmt: skip
    _write(warehouse, "human_labels", confirmed, A)
    for _ in range(2):  # the next run, and the one after
        _run(warehouse, llm, A)
        row = _planted(warehouse)
        assert (row["status"], row["basis"], row["label"]) == ("human", "human majority", "negative")

    # Another partition learns from the confirmed label, and flags nothing of A's either.
    _write(warehouse, "deduped_records", pl.DataFrame(_records("b", 30), schema=SCHEMA, orient="row"), B)
    other = _run(warehouse, llm, B)
    assert other["learned_from/human_labels"] == 1
    b_labels = warehouse.read(f"{SPEC.name}/labels", B)
    assert PLANTED not in set(b_labels["record_id"])
    _run(warehouse, llm, A)
    assert _planted(warehouse)["status"] == "human"
    assert sum(PLANTED_TEXT in r.user_text() for r in api.message_requests()) == 2  # asked once, two votes
