"""The LLM labeler on a spans task, through the real `anthropic` SDK against the local stand-in: the prompt
and tool come from the dataset declaration, bad answers become failed votes with their reason, the votes
become rows `label_span_partition` takes, and the prompt version moves with the definition."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.anthropic_standin import AnthropicStandIn, bad_tool_input, entities

from gleaner.datasets import DEFAULT_DATASETS_DIR, load_dataset, spec_hash
from gleaner.labeling import RecordView, SpanLabelPolicy, label_span_partition
from gleaner.labeling.llm import (
    LLMLabeler,
    LLMLabelerConfig,
    ParquetLabelCache,
    dataset_config,
    span_vote_rows,
    tool_schema,
)
from gleaner.labeling.spans import span_at, spans_from_json

KEY = "sk-ant-test-spans0123456789abcdef"
SPEC = load_dataset(DEFAULT_DATASETS_DIR / "product_entities.yaml")
TITLE = "Vortex Blender 500"
GOOD = entities(("Vortex", "BRAND"), ("Blender", "PRODUCT_TYPE"), ("500", "MODEL"))


@pytest.fixture
def api() -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn(KEY) as server:
        yield server


def _config(api: AnthropicStandIn, spec=SPEC) -> LLMLabelerConfig:
    base = LLMLabelerConfig(
        api_key=KEY, base_url=api.base_url, model="claude-haiku-4-5", prompt_version="sentiment-v1", max_retries=0
    )
    return dataset_config(base, spec, spec_hash(spec), allow_overlaps=spec.allow_overlaps, votes=spec.llm.votes)


def _label(api: AnthropicStandIn, tmp_path: Path, items: list[tuple[str, str]], use_batches: bool = False):
    config = _config(api).model_copy(update={"use_batches": use_batches, "batch_poll_interval_seconds": 0.01})
    with LLMLabeler(config, ParquetLabelCache(tmp_path / "cache")) as labeler:
        results = labeler.label_many(items)
    return results, span_vote_rows(results, dict(items), config.majority)


def test_a_spans_request_sends_the_declared_prompt_and_span_tool(api: AnthropicStandIn, tmp_path: Path) -> None:
    api.set_default(GOOD)
    results, rows = _label(api, tmp_path, [("r1", TITLE)])
    body = api.message_requests()[0].body
    assert body["tools"][0]["input_schema"] == tool_schema(SPEC)["input_schema"]
    [system] = body["system"]  # one block, marked for the prompt cache
    assert "BRAND: The maker or brand name" in system["text"] and system["cache_control"] == {"type": "ephemeral"}
    assert len(rows) == 2 and {r["conditional"] for r in rows} == {False}  # two agreeing votes settle it
    assert spans_from_json(rows[0]["spans_json"]) == [
        span_at(TITLE, 0, 6, "BRAND"),
        span_at(TITLE, 7, 14, "PRODUCT_TYPE"),
        span_at(TITLE, 15, 18, "MODEL"),
    ]
    assert results[0].resolution.status == "auto"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (entities(("Turbo", "BRAND")), "offsets_outside_text"),  # a quote the text lacks: offsets -1
        (
            bad_tool_input({"spans": [{"start": 0, "end": 7, "label": "BRAND", "text": "Vortex"}], "confidence": 0.9}),
            "quote_mismatch",
        ),  # fmt: skip
        (entities(("Vortex Blender", "BRAND"), ("Blender", "PRODUCT_TYPE")), "overlapping_spans"),
        (entities(("Vortex", "MAKER")), "invalid_label"),
        (bad_tool_input({"spans": "Vortex", "confidence": 0.9}), "invalid_spans"),
    ],
)
def test_a_bad_span_answer_is_a_failed_vote_with_its_reason(
    api: AnthropicStandIn, tmp_path: Path, reply, reason: str
) -> None:
    api.set_default(reply)
    _, rows = _label(api, tmp_path, [("r1", TITLE)])
    assert len(rows) == 2  # after two failed votes no answer can reach a majority: the third is not bought
    assert all(r["spans_json"] is None and r["confidence"] is None and r["reason"].startswith(reason) for r in rows)


def test_votes_flow_into_the_span_partition_and_batches_answer_the_same(api: AnthropicStandIn, tmp_path: Path) -> None:
    api.set_default(GOOD)
    _, live = _label(api, tmp_path / "live", [("r1", TITLE)])
    _, batched = _label(api, tmp_path / "batch", [("r1", TITLE)], use_batches=True)
    assert [r["spans_json"] for r in batched] == [r["spans_json"] for r in live]
    labels = label_span_partition([RecordView("r1", TITLE, None)], {}, live, None, SpanLabelPolicy(), SPEC.label_names)
    assert labels.resolved[0]["status"] == "auto" and labels.resolved[0]["spans_json"] == live[0]["spans_json"]


def test_spans_over_scrubbed_text_that_moved_are_a_failed_vote(api: AnthropicStandIn, tmp_path: Path) -> None:
    title = "Mail a@b.example Vortex Kettle"
    api.set_default(entities(("Vortex", "BRAND")))
    _, rows = _label(api, tmp_path, [("r1", title)])
    assert "a@b.example" not in api.everything_received()
    assert rows and all(r["reason"].startswith("offsets_shifted_by_redaction") for r in rows)


def test_the_prompt_version_moves_with_a_guideline(api: AnthropicStandIn) -> None:
    label = SPEC.labels[0].model_copy(update={"guideline": "Only the maker."})
    edited = SPEC.model_copy(update={"labels": (label, *SPEC.labels[1:])})
    first, second = _config(api).prompt_version, _config(api, edited).prompt_version
    assert first.startswith(f"product_entities-{spec_hash(SPEC)[:12]}-") and first != second
    assert _config(api).task == "spans" and _config(api).labels == SPEC.label_names
