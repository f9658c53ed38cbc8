"""Spans: a label on a stretch of characters, the unit of a named-entity dataset, and their tokens.

Offsets are Python string indices into the labeled field, end exclusive: the way Label Studio's Text tag
counts `value.start`/`value.end`, so a human annotation, a rule's match and an LLM answer compare as they
are. Tokens (for BIO tags and token-level agreement) are runs of word characters and single punctuation
marks, with their offsets, so a span maps onto tokens without re-reading the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

_TOKEN = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    label: str
    text: str

    def as_dict(self) -> dict[str, Any]:
        """The published shape: `{start, end, label, text}`."""
        return {"start": self.start, "end": self.end, "label": self.label, "text": self.text}

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


def span_at(text: str, start: int, end: int, label: str) -> Span:
    return Span(start, end, label, text[start:end])


def tokenize(text: str) -> list[tuple[int, int]]:
    """(start, end) of every token: word-character runs and single punctuation marks."""
    return [match.span() for match in _TOKEN.finditer(text)]


def first_overlap(spans: Iterable[Span]) -> tuple[Span, Span] | None:
    """Two spans that share a character, the earliest such pair in text order, or None."""
    ordered = sorted(spans)
    for previous, current in zip(ordered, ordered[1:], strict=False):
        if previous.overlaps(current):
            return previous, current
    return None


def resolve_overlaps(spans: Iterable[Span], label_order: Sequence[str]) -> list[Span]:
    """Keep a non-overlapping subset, deterministically: the longest first, then the earliest, then the
    label declared first; the result is in text order."""
    rank = {label: i for i, label in enumerate(label_order)}
    kept: list[Span] = []
    for span in sorted(set(spans), key=lambda s: (s.start - s.end, s.start, rank.get(s.label, len(rank)), s.label)):
        if not any(span.overlaps(k) for k in kept):
            kept.append(span)
    return sorted(kept)


def to_bio(text: str, spans: Iterable[Span]) -> tuple[list[str], list[str]]:
    """Tokens and their BIO tags, as a Hugging Face token-classification trainer reads them (`tokens`,
    `ner_tags`). A token belongs to a span when they share a character; the span's first token is `B-`."""
    ordered = sorted(spans)
    clash = first_overlap(ordered)
    if clash:
        raise ValueError(f"overlapping spans cannot be BIO-tagged: {clash[0]} and {clash[1]}")
    tokens, tags = [], []
    previous: Span | None = None
    for start, end in tokenize(text):
        owner = next((s for s in ordered if s.start < end and start < s.end), None)
        tokens.append(text[start:end])
        tags.append("O" if owner is None else ("I-" if owner == previous else "B-") + owner.label)
        previous = owner
    return tokens, tags


def training_columns(text: str, spans: Iterable[Span]) -> dict[str, list[Any]]:
    """A published row's span columns: `spans` (`{start, end, label, text}` in text order), and `tokens`
    with their BIO `ner_tags` for a token-classification trainer."""
    ordered = sorted(spans)
    tokens, tags = to_bio(text, ordered)
    return {"spans": [s.as_dict() for s in ordered], "tokens": tokens, "ner_tags": tags}


def spans_to_json(spans: Iterable[Span]) -> str:
    """The canonical stored form: text order, sorted keys, no whitespace."""
    return json.dumps([s.as_dict() for s in sorted(set(spans))], sort_keys=True, separators=(",", ":"))


def spans_from_json(value: str | None) -> list[Span] | None:
    if value is None:
        return None
    return [Span(d["start"], d["end"], d["label"], d["text"]) for d in json.loads(value)]
