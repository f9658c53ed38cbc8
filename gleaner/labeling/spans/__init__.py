"""Span labels (named entities over a text field): the span type, tokens and BIO tags, validation of spans
from outside (LLM answers, Label Studio exports) and agreement between span annotators.

Classification labels are single strings and need none of this; span datasets build on it in
`gleaner.datasets`, the LLM labeler's span tool and Label Studio's span format.
"""

from gleaner.labeling.spans.agreement import SpanVotes, pairwise_span_agreement, span_f1, token_kappa
from gleaner.labeling.spans.model import (
    Span,
    first_overlap,
    resolve_overlaps,
    span_at,
    spans_from_json,
    spans_to_json,
    to_bio,
    tokenize,
    training_columns,
)
from gleaner.labeling.spans.validate import SpanCheck, validate_spans

__all__ = [
    "Span",
    "SpanCheck",
    "SpanVotes",
    "first_overlap",
    "pairwise_span_agreement",
    "resolve_overlaps",
    "span_at",
    "span_f1",
    "spans_from_json",
    "spans_to_json",
    "to_bio",
    "token_kappa",
    "tokenize",
    "training_columns",
    "validate_spans",
]
