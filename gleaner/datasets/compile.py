"""Declarative rules compiled into annotators, and the full set of annotators a dataset declares.

A classification rule becomes a `LabelingFunction` (a `RecordView` in, a label or None out), the same
signature as the registered Python functions, so `apply_functions` and the gate's kappa pairs treat both
alike; they are `ThresholdVote` and `PatternVote` instances (`gleaner.labeling.functions`), not closures,
so that they pickle: at volume `apply_functions` sends them to worker processes, which then import only
the labeling package. A span rule becomes a function from a `RecordView` to spans; where its matches
overlap, the longest, then the earliest, then the label declared first is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gleaner.datasets.rules import FieldThresholdRule, KeywordRule
from gleaner.datasets.spec import ClassificationSpec, SpansSpec
from gleaner.labeling import (
    AnyCaseWords,
    LabelingFunction,
    PatternVote,
    RecordView,
    SpanFunction,
    ThresholdVote,
    registered_functions,
)
from gleaner.labeling.spans import Span, resolve_overlaps, span_at


def _compiled(rule: Any) -> dict[str, re.Pattern[str]]:
    flags = re.IGNORECASE if rule.ignore_case else 0
    return {label: re.compile(pattern, flags) for label, pattern in rule.label_patterns().items()}


def _vote_patterns(rule: Any) -> dict[str, re.Pattern[str] | AnyCaseWords]:
    """What a keyword or regex rule searches a record's text with: a keyword rule in any case searches
    ASCII text in lowercase (`AnyCaseWords`: the same answers, about twice as fast)."""
    if isinstance(rule, KeywordRule) and rule.ignore_case:
        return {label: AnyCaseWords(words) for label, words in rule.terms.items()}
    return _compiled(rule)


def classification_functions(spec: ClassificationSpec) -> dict[str, LabelingFunction]:
    """Registered functions, then the file's rules, by annotator name in declared order."""
    functions = {name: registered_functions()[name] for name in spec.labeling_functions}
    for rule in spec.rules:
        functions[rule.name] = (
            ThresholdVote(rule.name, rule.field, tuple((t.op, t.value, t.label) for t in rule.thresholds))
            if isinstance(rule, FieldThresholdRule)
            else PatternVote(rule.name, tuple(_vote_patterns(rule).items()))
        )
    return functions


def _span_function(rule: Any, label_order: tuple[str, ...], allow_overlaps: bool) -> SpanFunction:
    patterns = _compiled(rule)

    def spans(record: RecordView) -> list[Span]:
        text = record.text or ""
        found = [
            span_at(text, *m.span(), label)
            for label, p in patterns.items()
            for m in p.finditer(text)
            if m.end() > m.start()
        ]
        return sorted(set(found)) if allow_overlaps else resolve_overlaps(found, label_order)

    spans.__name__ = rule.name
    return spans


def span_functions(spec: SpansSpec) -> dict[str, SpanFunction]:
    """The file's span rules by annotator name (no Python span functions are registered)."""
    return {rule.name: _span_function(rule, spec.label_names, spec.allow_overlaps) for rule in spec.rules}


def record_view(spec: ClassificationSpec | SpansSpec, row: Mapping[str, Any]) -> RecordView:
    """What the dataset's annotators see of one record: its `input` field as `text`, every field in `fields`."""
    rating = row.get("rating")
    return RecordView(
        str(row["record_id"]),
        row.get(spec.input) or "",
        rating if isinstance(rating, int | float) else None,
        fields=dict(row),
    )
