"""Labeling functions for the demo dataset, product-review sentiment.

Three kinds of evidence that fail differently: the reviewer's own star rating, the text's tone (VADER, a
maintained lexicon with negation and intensity rules, rather than a word list of our own) and a few phrases
that settle a review almost by themselves.
"""

from __future__ import annotations

import re
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from gleaner.labeling.functions import LabelingFunction, RecordView
from gleaner.schemas import LABELS

NEGATIVE, POSITIVE = LABELS


def rating_rule(record: RecordView) -> str | None:
    """Star ratings are the reviewer's own verdict: 4-5 positive, 1-2 negative, 3 says nothing."""
    if record.rating is None:
        return None
    if record.rating >= 4:
        return POSITIVE
    if record.rating <= 2:
        return NEGATIVE
    return None


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1 << 16)
def _compound(text: str) -> float:
    """VADER's score depends on the text alone: a review syndicated or re-scraped is scored once."""
    return _vader().polarity_scores(text)["compound"]


def lexicon_vader(record: RecordView, margin: float = 0.3) -> str | None:
    """Text-only sentiment; abstains near neutral so it does not add noise where it has no signal."""
    score = _compound(record.text)
    if score >= margin:
        return POSITIVE
    if score <= -margin:
        return NEGATIVE
    return None


_NEGATIVE_PHRASES = re.compile(
    r"\b(refund|returned it|sent it back|broke (?:after|within)|stopped working|waste of money|do not buy)\b",
    re.IGNORECASE,
)
_POSITIVE_PHRASES = re.compile(r"\b(highly recommend|would buy again|worth every penny|five stars)\b", re.I)


def keyword_rules(record: RecordView) -> str | None:
    """Phrases that settle a review's sentiment almost by themselves; abstains when both kinds appear."""
    negative = bool(_NEGATIVE_PHRASES.search(record.text))
    positive = bool(_POSITIVE_PHRASES.search(record.text))
    if negative == positive:
        return None
    return NEGATIVE if negative else POSITIVE


FUNCTIONS: dict[str, LabelingFunction] = {
    "lf_rating": rating_rule,
    "lf_lexicon": lexicon_vader,
    "lf_keywords": keyword_rules,
}
