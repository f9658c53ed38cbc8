"""The labels step of one partition, for each task: the rules once, the LLM on what `llm.scope` leaves open,
then every vote resolved (`label_partition`, `label_span_partition`).

What the `labels` assets call, so an asset reads, calls one function, writes and reports. The LLM is given as
a callable (`AskLLM`: the records to ask about -> their vote rows and what the labeler reports), so this
module never sees the Dagster resource that holds the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import polars as pl

from gleaner.labeling.functions import LabelingFunction, RecordView, apply_functions
from gleaner.labeling.history import History
from gleaner.labeling.partition import PartitionLabels, label_partition
from gleaner.labeling.resolution import LabelPolicy
from gleaner.labeling.scope import LLMScope, records_for_llm, rules_settled
from gleaner.labeling.span_partition import (
    SpanFunction,
    SpanLabelPolicy,
    SpanPartitionLabels,
    apply_span_functions,
    label_span_partition,
    span_rules_settled,
)

AskLLM = Callable[[list[RecordView]], tuple[list[dict], dict[str, Any]]]
Labels = TypeVar("Labels", PartitionLabels, SpanPartitionLabels)


@dataclass(frozen=True)
class LabelledPartition(Generic[Labels]):
    labels: Labels
    llm_asked: int  # the records the scope sent to the LLM (cached answers included)
    llm_report: dict[str, Any]  # what the labeler says it did: calls, tokens, cost, or why it was off


def _people(humans: pl.DataFrame | None) -> list[str]:
    return [] if humans is None else humans["record_id"].to_list()


def label_classification(
    views: Sequence[RecordView],
    functions: Mapping[str, LabelingFunction],
    policy: LabelPolicy,
    scope: LLMScope,
    ask: AskLLM,
    humans: pl.DataFrame | None,
    history: History | None = None,
    log: Callable[[str], None] | None = None,
) -> LabelledPartition[PartitionLabels]:
    """A classification partition: the rules' votes decide what the LLM is asked and then enter resolution
    as they are (each function runs once per record)."""
    rule_rows = apply_functions(views, functions, log=log)
    asked = records_for_llm(views, rules_settled(rule_rows, policy), scope, _people(humans))
    llm_rows, report = ask(asked)
    labels = label_partition(views, functions, llm_rows, humans, policy, history=history, rule_rows=rule_rows)
    return LabelledPartition(labels, len(asked), report)


def label_spans(
    views: Sequence[RecordView],
    functions: Mapping[str, SpanFunction],
    policy: SpanLabelPolicy,
    label_order: Sequence[str],
    scope: LLMScope,
    ask: AskLLM,
    humans: pl.DataFrame | None,
    log: Callable[[str], None] | None = None,
) -> LabelledPartition[SpanPartitionLabels]:
    """A span partition, the same way: span rules once, the LLM where they do not settle a record."""
    rule_rows = apply_span_functions(views, functions, log)
    asked = records_for_llm(views, span_rules_settled(rule_rows, policy, label_order), scope, _people(humans))
    llm_rows, report = ask(asked)
    labels = label_span_partition(views, functions, llm_rows, humans, policy, label_order, rule_rows=rule_rows)
    return LabelledPartition(labels, len(asked), report)
