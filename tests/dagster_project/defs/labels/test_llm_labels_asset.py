"""The `labels` asset materialized by Dagster with the real LLM labeler against the local Messages API stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from fakes.anthropic_standin import AnthropicStandIn, bad_request, ok

from dagster_project.defs.labels.assets import labels_asset
from dagster_project.lib.datasets import DATASETS
from dagster_project.lib.partitions import partition_key
from dagster_project.resources.llm import LLMLabelerResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.datasets import classification_functions
from gleaner.labeling import RecordView, apply_functions, rules_settled, scrub
from gleaner.labeling.agreement import fleiss

DATASET = "review_sentiment"
SPEC = DATASETS[DATASET]  # llm.scope: unsettled, the default
# No audit slice: r4 falls in the default 5%, and these tests are about how the LLM is asked, not routing.
ASK_ALL = SPEC.model_copy(
    update={
        "llm": SPEC.llm.model_copy(update={"scope": "all"}),
        "review": SPEC.review.model_copy(update={"audit_fraction": 0.0}),
    }
)
labels = labels_asset(ASK_ALL)  # most tests here are about how the LLM is asked, so it is asked about everything
KEY = "sk-ant-asset-test-9Zq4SECRETvalue876543210"
PARTITION = {"source": "acme", "date": "2026-11-20"}
HEADPHONES = "I love these headphones, great sound. Questions to {}"
RECORDS = [
    ("r1", HEADPHONES.format("ann@example.com"), 5.0),
    ("r2", "Terrible, broken after a week, I want a refund", 1.0),
    ("r3", "Amazing blender, perfect smoothies every morning", 4.0),
    ("r4", HEADPHONES.format("bob@example.org"), 5.0),  # same text once PII is scrubbed: shares r1's votes
]
ECHO = ("r5", "echo: excellent kettle, boils fast, love it", 5.0)


def _warehouse(root: Path, records: list[tuple[str, str, float]]) -> WarehouseResource:
    resource = WarehouseResource(root=str(root))
    frame = pl.DataFrame(
        [{"record_id": r, "text": t, "rating": s} for r, t, s in records],
        schema={"record_id": pl.String, "text": pl.String, "rating": pl.Float64},
    )
    resource.write(f"{DATASET}/deduped_records", frame, PARTITION)
    return resource


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehouseResource:
    return _warehouse(tmp_path / "warehouse", RECORDS)


@pytest.fixture
def llm(api: AnthropicStandIn, monkeypatch: pytest.MonkeyPatch) -> LLMLabelerResource:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    return LLMLabelerResource(api_key=dg.EnvVar("ANTHROPIC_API_KEY"), base_url=api.base_url, timeout_seconds=5.0)


@pytest.fixture
def api() -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn(KEY) as server:
        server.on("blender", ok("positive"), ok("negative"), ok("positive"))  # disagreement: a third call
        server.on("echo", bad_request("bad header {authorization}"))  # an error that repeats the key back
        yield server


def _materialize(
    warehouse: WarehouseResource, llm: LLMLabelerResource, asset: dg.AssetsDefinition = labels
) -> tuple[dg.ExecuteInProcessResult, str]:
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [asset],
        partition_key=partition_key(PARTITION["source"], PARTITION["date"]),
        resources={"warehouse": warehouse, "llm": llm},
        instance=instance,
    )
    assert result.success
    logs = "\n".join(dg.serialize_value(entry) for entry in instance.all_logs(result.run_id))
    return result, logs


def _metadata(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    [materialization] = result.asset_materializations_for_node(f"{DATASET}__labels")
    return {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}


def _calls_for(api: AnthropicStandIn, needle: str) -> int:
    return sum(needle in r.user_text() for r in api.message_requests())


def test_llm_votes_land_as_rows_stop_early_and_are_paid_for_once(
    warehouse: WarehouseResource,
    api: AnthropicStandIn,
    llm: LLMLabelerResource,
    capfd: pytest.CaptureFixture[str],
) -> None:
    result, logs = _materialize(warehouse, llm)

    # Early stop: agreeing texts cost two calls, the disagreement one more.
    assert _calls_for(api, "headphones") == 2 and _calls_for(api, "Terrible") == 2
    assert _calls_for(api, "blender") == 3
    assert "ann@example.com" not in api.everything_received() and "[EMAIL]" in api.everything_received()

    frame = warehouse.read(f"{DATASET}/labels", PARTITION)
    votes = frame.filter(pl.col("annotator_kind") == "llm")
    assert votes.height == 2 + 2 + 3 + 2
    assert votes.filter(pl.col("record_id") == "r3").sort("annotator")["label"].to_list() == [
        "positive",
        "negative",
        "positive",
    ]
    assert votes.filter(pl.col("conditional"))["annotator"].to_list() == ["llm:claude-haiku-4-5:vote2"]
    resolved = frame.filter(pl.col("annotator_kind") == "resolved").sort("record_id")
    assert resolved["basis"].to_list() == ["llm majority"] * 4
    assert resolved["label"].to_list() == ["positive", "negative", "positive", "positive"]

    metadata = _metadata(result)
    calls = 2 + 2 + 3  # r4 shares r1's votes
    assert metadata["llm_enabled"] is True
    assert (metadata["llm_calls"], metadata["llm_cache_hits"], metadata["llm_failed_votes"]) == (calls, 0, 0)
    assert metadata["llm_calls_per_record"] == calls / len(RECORDS)
    assert metadata["llm_input_tokens"] > 0 and metadata["llm_output_tokens"] == 25 * calls
    expected_cost = (metadata["llm_input_tokens"] * 1.0 + metadata["llm_output_tokens"] * 5.0) / 1e6
    assert metadata["llm_estimated_cost_usd"] == pytest.approx(expected_cost)
    # Fleiss over votes 0 and 1, which every record gets (vote 2 exists only where they disagreed).
    assert metadata["agreement_overall"]["fleiss_items"] == 4
    assert metadata["agreement/fleiss_llm_votes"] == pytest.approx(
        fleiss(
            [["positive", "positive"], ["negative", "negative"], ["positive", "negative"], ["positive", "positive"]]
        ),
        abs=1e-4,
    )
    assert isinstance(metadata["agreement/krippendorff_alpha"], float)
    assert result.get_asset_check_evaluations()[0].passed

    # Re-materializing the partition pays for nothing: every vote comes from the warehouse cache.
    sent = len(api.message_requests())
    again, logs_again = _materialize(warehouse, llm)
    assert len(api.message_requests()) == sent
    metadata_again = _metadata(again)
    assert (metadata_again["llm_calls"], metadata_again["llm_cache_hits"]) == (0, calls)
    assert metadata_again["llm_estimated_cost_usd"] == 0.0
    assert warehouse.read(f"{DATASET}/labels", PARTITION).drop("reason").equals(frame.drop("reason"))

    captured = capfd.readouterr()
    for surface in (logs, logs_again, repr(metadata), repr(metadata_again), captured.out, captured.err):
        assert KEY not in surface
    assert "llm labeling done" in logs  # the labeler's log lines really are in the event log searched


def test_unsettled_scope_asks_nothing_about_a_record_the_rules_settle(
    tmp_path: Path, api: AnthropicStandIn, llm: LLMLabelerResource
) -> None:
    records = [*RECORDS, ("r6", "It came on a Tuesday in a brown box", 5.0)]  # one rule votes: not settled
    warehouse = _warehouse(tmp_path / "warehouse", records)
    views = [RecordView(r, t, s) for r, t, s in records]
    settled_ids = rules_settled(apply_functions(views, classification_functions(SPEC)), SPEC.label_policy())
    settled = [t for r, t, _ in records if r in settled_ids]
    assert settled and len(settled) < len(records)  # the partition holds both kinds

    result, _ = _materialize(warehouse, llm, labels_asset(SPEC))

    asked = [r.user_text() for r in api.message_requests()]
    assert asked and not any(scrub(text) in asked for text in settled)
    assert {r for r, t, _ in records if scrub(t) in asked} == {r for r, _, _ in records} - settled_ids == {"r6"}
    metadata = _metadata(result)
    labelled = metadata["auto"] + metadata["human"]
    assert metadata["llm_asked"] == 1  # r6 alone
    assert metadata["llm_calls_per_labeled_record"] == pytest.approx(metadata["llm_calls"] / labelled, abs=1e-4)
    assert metadata["llm_cost_per_1000_labeled_usd"] > 0 and metadata["llm_cached_token_share"] == 0.0


def test_an_error_that_echoes_the_key_is_redacted_in_rows_and_logs(
    tmp_path: Path, api: AnthropicStandIn, llm: LLMLabelerResource, capfd: pytest.CaptureFixture[str]
) -> None:
    warehouse = _warehouse(tmp_path / "warehouse", [ECHO])
    result, logs = _materialize(warehouse, llm)

    assert api.message_requests()[0].headers["Authorization"] == f"Bearer {KEY}"  # it was sent, and echoed
    assert _calls_for(api, "echo") == 3  # the failed vote needs a third one
    votes = warehouse.read(f"{DATASET}/labels", PARTITION).filter(pl.col("annotator_kind") == "llm")
    [failed] = votes.filter(pl.col("label").is_null()).to_dicts()
    assert "[REDACTED]" in failed["reason"] and "[REDACTED]" in logs
    assert _metadata(result)["llm_failed_votes"] == 1
    # The two votes every record gets did not both answer: no Fleiss item.
    assert _metadata(result)["agreement_overall"]["fleiss_items"] == 0
    captured = capfd.readouterr()
    for surface in (logs, repr(_metadata(result)), captured.out, captured.err, repr(votes.to_dicts())):
        assert KEY not in surface


def test_without_a_key_the_labeler_is_off_says_so_once_and_the_rest_runs(warehouse: WarehouseResource) -> None:
    result, logs = _materialize(warehouse, LLMLabelerResource())

    assert logs.count("LLM labeler off") == 1
    metadata = _metadata(result)
    assert metadata["llm_enabled"] is False and "llm_calls" not in metadata
    frame = warehouse.read(f"{DATASET}/labels", PARTITION)
    assert frame.filter(pl.col("annotator_kind") == "llm").is_empty()
    resolved = frame.filter(pl.col("annotator_kind") == "resolved")
    assert resolved.height == len(RECORDS)
    assert set(resolved["status"]) <= {"auto", "needs_review"}
    assert (
        resolved.filter(pl.col("status") == "needs_review")["label"].null_count()
        == resolved.filter(pl.col("status") == "needs_review").height
    )
    assert "lf_rating" in metadata["lf_analysis"]
    assert metadata["agreement_overall"]["fleiss"] is None
