"""The labeler set up for a declared dataset, and its span votes as rows of the span `labels` table.

`dataset_config` turns a deployment's labeler settings (key, model, concurrency, prices) into one for a
dataset: prompt and tool from the declaration (`prompts`), its task and labels, and a `prompt_version` that
names the dataset, its definition hash (`gleaner.datasets.spec_hash`) and a digest of the prompt and tool
actually sent. Rewording a guideline changes the hash; changing the prompt template in code changes the
digest; either way every cache key changes and the model is asked afresh.

The model answered about the PII-scrubbed text, so `span_vote_rows` checks each answer's quotes once more
against the record's own text: where scrubbing moved characters, the offsets no longer point at what the
model quoted and the vote fails with that reason instead of publishing spans over the wrong characters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from gleaner.labeling.llm.config import LLMLabelerConfig
from gleaner.labeling.llm.prompts import system_prompt, tool_schema
from gleaner.labeling.llm.votes import LLMResult
from gleaner.labeling.spans import spans_from_json
from gleaner.labeling.task import TaskDefinition, label_names


def vote_annotator(model: str, vote_index: int) -> str:
    """The annotator name of one LLM vote: `llm:<model>:vote<index>`."""
    return f"llm:{model}:vote{vote_index}"


def dataset_config(
    base: LLMLabelerConfig,
    definition: TaskDefinition,
    definition_hash: str,
    *,
    allow_overlaps: bool = False,
    instructions: str = "",
    **settings: Any,
) -> LLMLabelerConfig:
    """`base` asking `definition`'s task; `settings` override fields (`model`, `votes`, `max_tokens`, ...)."""
    tool_name = settings.get("tool_name", base.tool_name)
    prompt = system_prompt(definition) + (f"\n\n{instructions.strip()}" if instructions.strip() else "")
    tool = tool_schema(definition, tool_name)
    digest = hashlib.sha256(json.dumps([prompt, tool], sort_keys=True).encode("utf-8")).hexdigest()
    fields = base.model_dump() | settings
    fields |= {
        "task": definition.task,
        "labels": label_names(definition),
        "system_prompt": prompt,
        "allow_overlaps": allow_overlaps,
        "prompt_version": f"{definition.name}-{definition_hash[:12]}-{digest[:8]}",
    }
    return LLMLabelerConfig.model_validate(fields)


def _shifted(text: str, spans_json: str) -> str | None:
    for span in spans_from_json(spans_json) or []:
        if text[span.start : span.end] != span.text:
            return (
                f"offsets_shifted_by_redaction: [{span.start}, {span.end}) of the record is "
                f"{text[span.start : span.end]!r:.60}, the model quoted {span.text!r:.60}"
            )
    return None


def span_vote_rows(results: Sequence[LLMResult], texts: Mapping[str, str], majority: int) -> list[dict[str, Any]]:
    """One row per LLM span vote, as `label_span_partition` takes them: `spans_json` None for a failed vote,
    whose `reason` says why; a vote beyond the first `majority` is `conditional` (asked on disagreement)."""
    rows = []
    for result in results:
        for vote in result.votes:
            error = vote.error or (None if vote.ok else "no answer")
            if error is None:
                error = _shifted(texts[result.record_id], str(vote.label))
            rows.append(
                {
                    "record_id": result.record_id,
                    "annotator": vote_annotator(result.model, vote.index),
                    "annotator_kind": "llm",
                    "spans_json": None if error else vote.label,
                    "confidence": None if error else vote.confidence,
                    "reason": error or vote.reason,
                    "conditional": vote.index >= majority,
                }
            )
    return rows


def label_vote_rows(results: Sequence[LLMResult], majority: int) -> list[dict[str, Any]]:
    """One row per LLM classification vote, as `label_partition` takes them: a failed vote has no label and
    its `reason` says why; a vote beyond the first `majority` is `conditional` (asked on disagreement)."""
    return [
        {
            "record_id": result.record_id,
            "annotator": vote_annotator(result.model, vote.index),
            "annotator_kind": "llm",
            "label": vote.label if vote.ok else None,
            "confidence": vote.confidence if vote.ok else None,
            "reason": vote.error or vote.reason,
            "conditional": vote.index >= majority,
        }
        for result in results
        for vote in result.votes
    ]
