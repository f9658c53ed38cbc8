"""Judging the span tool's input: the model's entity list becomes valid spans or a failed vote's reason.

The envelope (refusal, no tool call, two calls) is judged as for classification by `judge_message`; this is
the tool input's own check, with the offsets validated against the text that was sent.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from gleaner.labeling.llm.confidence import confidence_problem
from gleaner.labeling.spans import Span, validate_spans


@dataclass(frozen=True)
class SpanAnswer:
    spans: tuple[Span, ...]
    confidence: float | None
    error: str | None  # None: a usable vote (possibly with no spans: the text names no entity)


def judge_span_input(
    tool_input: Any, text: str, labels: Collection[str], *, allow_overlaps: bool = False
) -> SpanAnswer:
    """Never raises: offsets outside the text, a quote that does not match, overlapping spans or a label
    outside the set each give a failed answer with the reason."""
    if not isinstance(tool_input, dict):
        return SpanAnswer((), None, f"invalid_tool_input: expected an object, got {type(tool_input).__name__}")
    missing = [name for name in ("spans", "confidence") if name not in tool_input]
    if missing:
        return SpanAnswer((), None, f"invalid_tool_input: missing {', '.join(missing)}")
    confidence = tool_input["confidence"]
    problem = confidence_problem(confidence)
    if problem:
        return SpanAnswer((), None, problem)
    check = validate_spans(text, tool_input["spans"], labels, allow_overlaps=allow_overlaps)
    if not check.ok:
        return SpanAnswer((), None, check.reason)
    return SpanAnswer(check.spans, float(confidence), None)
