"""Judging spans someone else produced (an LLM's tool answer, a Label Studio export) against the text.

A model may quote a substring and miscount its offsets, invent a label or return two spans over one word.
Each of those is a paid-for but unusable answer: it becomes a failed vote with its reason, never an
exception, because one odd answer must not stop a partition from being labelled.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from gleaner.labeling.spans.model import Span, first_overlap


@dataclass(frozen=True)
class SpanCheck:
    """Either the valid spans (in text order) or, when `reason` is set, none at all."""

    spans: tuple[Span, ...]
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _judge_one(text: str, item: Any, labels: Collection[str], index: int) -> Span | str:
    if not isinstance(item, dict):
        return f"invalid_span: span {index} is a {type(item).__name__}, not an object"
    start, end, label, quoted = (item.get(k) for k in ("start", "end", "label", "text"))
    if not (_is_int(start) and _is_int(end)):
        return f"invalid_span: span {index} offsets {start!r:.20}, {end!r:.20} are not integers"
    if not 0 <= start < end <= len(text):
        return f"offsets_outside_text: span {index} [{start}, {end}) is not inside the text (length {len(text)})"
    if label not in labels:
        return f"invalid_label: span {index} label {label!r:.40} is not one of {sorted(labels)}"
    if quoted is not None and text[start:end] != quoted:
        return f"quote_mismatch: span {index} [{start}, {end}) is {text[start:end]!r:.60}, not {quoted!r:.60}"
    return Span(start, end, label, text[start:end])


def validate_spans(
    text: str, raw: Any, labels: Collection[str], *, allow_overlaps: bool = False, require_quote: bool = True
) -> SpanCheck:
    """Check every span: integer offsets inside the text, a declared label, the quoted `text` equal to
    `text[start:end]` (required unless `require_quote` is False), and no two spans sharing a character
    unless the task allows it. The first problem found is the reason."""
    if not isinstance(raw, list):
        return SpanCheck((), f"invalid_spans: expected a list of spans, got {type(raw).__name__}")
    spans = []
    for index, item in enumerate(raw):
        if require_quote and isinstance(item, dict) and "text" not in item:
            return SpanCheck((), f"invalid_span: span {index} does not quote its text")
        judged = _judge_one(text, item, labels, index)
        if isinstance(judged, str):
            return SpanCheck((), judged)
        spans.append(judged)
    if len(set(spans)) != len(spans):
        return SpanCheck((), "duplicate_span: the same span is listed twice")
    clash = None if allow_overlaps else first_overlap(spans)
    if clash:
        (a, b) = clash
        return SpanCheck((), f"overlapping_spans: [{a.start}, {a.end}) {a.label} and [{b.start}, {b.end}) {b.label}")
    return SpanCheck(tuple(sorted(spans)))
