"""Labeling functions for the demo dataset, product-review sentiment.

Three kinds of evidence that fail differently: the reviewer's own star rating, the text's tone (VADER, a
maintained lexicon with negation and intensity rules, rather than a word list of our own) and a few phrases
that settle a review almost by themselves.
"""

from __future__ import annotations

import string
from functools import lru_cache

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
)

from gleaner.labeling.functions import AnyCaseWords, LabelingFunction, RecordView
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


_NEGATE = frozenset(NEGATE)


def _negated(word: str) -> bool:
    """vaderSentiment's `negated([word])` for one lower-cased word: a set lookup, not a scan of its list."""
    return word in _NEGATE or "n't" in word


_PUNCTUATION = frozenset(string.punctuation)


class _SentiText(SentiText):
    """VADER's tokens: a word with no punctuation at either end is kept as it is without the strip, which
    could only give it back unchanged (`_strip_punc_if_word` returns the token or its stripped self)."""

    def _words_and_emoticons(self):  # noqa: ANN202 - VADER's signature
        strip = self._strip_punc_if_word
        return [w if w[0] not in _PUNCTUATION and w[-1] not in _PUNCTUATION else strip(w) for w in self.text.split()]


class _Vader(SentimentIntensityAnalyzer):
    """VADER with the same scores, without its quadratic cost.

    The stock `_negation_check` and `_special_idioms_check` lower-case the whole review for every lexicon
    word they look at, although they read at most three words before it and two after: a 60-word review
    paid about 20 full copies, most of the lexicon function's time. These read only the words they need,
    with the same indices (negative ones included) and the same branches, so every score is identical;
    and a word outside the lexicon, most of them, scores 0 without a call to `sentiment_valence`;
    tests/labeling/test_product_reviews.py compares them with the stock analyzer's on hundreds of texts.
    `polarity_scores` skips the character-by-character emoji rewrite when the text holds no emoji (any
    ASCII text)."""

    def polarity_scores(self, text):  # noqa: ANN001, ANN201 - VADER's signature
        plain = text.isascii() or self.emojis.keys().isdisjoint(text)  # every emoji is outside ASCII
        text = (text if plain else _describe_emojis(text, self.emojis)).strip()
        sentitext = _SentiText(text)
        sentiments = []
        words_and_emoticons = sentitext.words_and_emoticons
        lowered = [item.lower() for item in words_and_emoticons]
        last = len(lowered) - 1
        for i, low in enumerate(lowered):
            # words that only modify others (boosters, "kind of") carry no valence of their own, nor does a
            # word outside the lexicon (`sentiment_valence` would append the 0 it is given, after a call)
            if (
                low in BOOSTER_DICT
                or (low == "kind" and i < last and lowered[i + 1] == "of")
                or low not in self.lexicon
            ):
                sentiments.append(0)
                continue
            sentiments = self.sentiment_valence(0, sentitext, words_and_emoticons[i], i, sentiments)
        if "but" in lowered:  # otherwise the stock check lower-cases every word again to change nothing
            sentiments = self._but_check(words_and_emoticons, sentiments)
        return self.score_valence(sentiments, text)

    @staticmethod
    def _negation_check(valence, words_and_emoticons, start_i, i):  # noqa: ANN001, ANN205 - VADER's signature
        def w(k: int) -> str:
            return str(words_and_emoticons[i - k]).lower()

        if start_i == 0 and _negated(w(1)):  # 1 word preceding lexicon word (w/o stopwords)
            valence = valence * N_SCALAR
        if start_i == 1:
            if w(2) == "never" and (w(1) == "so" or w(1) == "this"):
                valence = valence * 1.25
            elif w(2) == "without" and w(1) == "doubt":
                pass
            elif _negated(w(2)):  # 2 words preceding the lexicon word position
                valence = valence * N_SCALAR
        if start_i == 2:
            if w(3) == "never" and (w(2) == "so" or w(2) == "this") or (w(1) == "so" or w(1) == "this"):
                valence = valence * 1.25
            elif w(3) == "without" and (w(2) == "doubt" or w(1) == "doubt"):
                pass
            elif _negated(w(3)):  # 3 words preceding the lexicon word position
                valence = valence * N_SCALAR
        return valence

    @staticmethod
    def _special_idioms_check(valence, words_and_emoticons, i):  # noqa: ANN001, ANN205 - VADER's signature
        def w(k: int) -> str:
            return str(words_and_emoticons[k]).lower()

        one, two, three, zero = w(i - 1), w(i - 2), w(i - 3), w(i)
        onezero = f"{one} {zero}"
        twoonezero = f"{two} {one} {zero}"
        twoone = f"{two} {one}"
        threetwoone = f"{three} {two} {one}"
        threetwo = f"{three} {two}"
        for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        n = len(words_and_emoticons)
        if n - 1 > i:
            zeroone = f"{zero} {w(i + 1)}"
            if zeroone in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroone]
        if n - 1 > i + 1:
            zeroonetwo = f"{zero} {w(i + 1)} {w(i + 2)}"
            if zeroonetwo in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroonetwo]
        # booster/dampener bi-grams such as 'sort of' or 'kind of'
        for n_gram in (threetwoone, threetwo, twoone):
            if n_gram in BOOSTER_DICT:
                valence = valence + BOOSTER_DICT[n_gram]
        return valence


def _describe_emojis(text: str, emojis: dict[str, str]) -> str:
    """VADER's emoji rewrite: each emoji becomes its description, set off by a space from what precedes it."""
    out: list[str] = []
    prev_space = True
    for char in text:
        if char in emojis:
            if not prev_space:
                out.append(" ")
            out.append(emojis[char])
            prev_space = False
        else:
            out.append(char)
            prev_space = char == " "
    return "".join(out)


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return _Vader()


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


_NEGATIVE_PHRASES = AnyCaseWords(
    ("refund", "returned it", "sent it back", "broke after", "broke within", "stopped working", "waste of money",
     "do not buy")
)  # fmt: skip
_POSITIVE_PHRASES = AnyCaseWords(("highly recommend", "would buy again", "worth every penny", "five stars"))


def keyword_rules(record: RecordView) -> str | None:
    """Phrases that settle a review's sentiment almost by themselves; abstains when both kinds appear."""
    negative = _NEGATIVE_PHRASES.search(record.text)
    positive = _POSITIVE_PHRASES.search(record.text)
    if negative == positive:
        return None
    return NEGATIVE if negative else POSITIVE


FUNCTIONS: dict[str, LabelingFunction] = {
    "lf_rating": rating_rule,
    "lf_lexicon": lexicon_vader,
    "lf_keywords": keyword_rules,
}
