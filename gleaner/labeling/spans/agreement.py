"""Agreement between span annotators: span-level F1 and token-level Cohen's kappa, per annotator pair.

Span F1 counts a span as shared only when start, end and label all match (the strict CoNLL measure); it is
symmetric, so neither annotator plays the gold standard. Token kappa compares the two annotators' BIO tags
token by token (scikit-learn's arithmetic, `gleaner.labeling.agreement.cohen_kappa`), which credits partial
overlaps and corrects for chance. Both are pooled over the items the pair shares; an item one annotator
left without spans counts as "no entities here", an item it never saw is absent. Undefined is None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from gleaner.labeling.agreement import _round, cohen_kappa, shared_pairs
from gleaner.labeling.spans.model import Span, to_bio, tokenize

SpanVotes = Mapping[str, Mapping[str, Sequence[Span]]]  # annotator -> {item -> spans}


def span_f1(left: Iterable[Iterable[Span]], right: Iterable[Iterable[Span]]) -> float | None:
    """Micro F1 over paired items: 2 * shared spans / (spans of left + spans of right)."""
    shared = total = 0
    for a, b in zip(left, right, strict=True):
        a_set, b_set = set(a), set(b)
        shared += len(a_set & b_set)
        total += len(a_set) + len(b_set)
    return None if total == 0 else 2 * shared / total


def token_kappa(texts: Sequence[str], left: Sequence[Iterable[Span]], right: Sequence[Iterable[Span]]) -> float | None:
    """Cohen's kappa over every token of the paired items, each token tagged B-/I-label or O."""
    a_tags: list[str] = []
    b_tags: list[str] = []
    for text, a, b in zip(texts, left, right, strict=True):
        a_tags += to_bio(text, a)[1]
        b_tags += to_bio(text, b)[1]
    return cohen_kappa(a_tags, b_tags)


def pairwise_span_agreement(texts: Mapping[str, str], votes: SpanVotes, min_shared: int = 1) -> list[dict]:
    """One row per annotator pair, shaped like `pairwise_cohen`'s (so the gate's kappa check reads it):
    `pair`, `left`, `right`, `n_shared`, `kappa` (token level), plus `span_f1` and `n_tokens`. Items
    without a text are left out."""
    known = {annotator: {i: s for i, s in items.items() if i in texts} for annotator, items in votes.items()}
    rows = []
    for row, shared, (a, b) in shared_pairs(known, min_shared):
        item_texts = [texts[i] for i in shared]
        rows.append(
            {
                **row,
                "n_tokens": sum(len(tokenize(t)) for t in item_texts),
                "span_f1": _round(span_f1(a, b)),
                "kappa": _round(token_kappa(item_texts, a, b)),
            }
        )
    return rows
