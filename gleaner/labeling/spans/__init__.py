"""Span labels (named entities over a text field): the span type, tokens and BIO tags, validation of spans
from outside (LLM answers, Label Studio exports) and agreement between span annotators.

Classification labels are single strings and need none of this; span datasets build on it in
`gleaner.datasets`, the LLM labeler's span tool and Label Studio's span format.
"""

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "agreement": ("SpanVotes", "pairwise_span_agreement", "span_f1", "token_kappa"),
        "model": (
            "Span",
            "first_overlap",
            "resolve_overlaps",
            "span_at",
            "spans_from_json",
            "spans_to_json",
            "to_bio",
            "tokenize",
            "training_columns",
        ),
        "validate": ("SpanCheck", "validate_spans"),
    },
)
