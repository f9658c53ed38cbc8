"""Labeling functions for the demo dataset, product-review sentiment.

Three kinds of evidence that fail differently: the reviewer's own star rating, the text's tone (VADER, a
maintained lexicon with negation and intensity rules, rather than a word list of our own) and a few phrases
that settle a review almost by themselves.
"""

from __future__ import annotations

import string
from functools import cached_property, lru_cache

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
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
    could only give it back unchanged (`_strip_punc_if_word` returns the token or its stripped self); and
    `allcap_differential` (some words in capitals, not all) counted by `map` rather than a loop."""

    def __init__(self, text: str) -> None:  # SentiText's, for the text `_Vader.polarity_scores` passes
        self.text = text
        self.words_and_emoticons = self._words_and_emoticons()
        words = len(self.words_and_emoticons)
        self.is_cap_diff = 0 < words - sum(map(str.isupper, self.words_and_emoticons)) < words

    def _words_and_emoticons(self):  # noqa: ANN202 - VADER's signature
        strip = self._strip_punc_if_word
        return [w if w[0] not in _PUNCTUATION and w[-1] not in _PUNCTUATION else strip(w) for w in self.text.split()]


class _Vader(SentimentIntensityAnalyzer):
    """VADER with the same scores, without its quadratic cost.

    The stock `_negation_check` and `_special_idioms_check` lower-case the whole review for every lexicon
    word they look at, although they read at most three words before it and two after: a 60-word review
    paid about 20 full copies. Here the review's words are lower-cased once, and `_valence` is
    `sentiment_valence` with its checks (`scalar_inc_dec`, `_negation_check`, `_special_idioms_check`,
    `_least_check`) inlined over them, with the same indices and branches; the stock code would still
    lower-case a word at each of the 25 or so places it reads one, 250 calls a review. A word outside the
    lexicon, most of them, scores 0 without a call. The arithmetic is the stock code's, step for step, so
    the floats are the same bits: tests/labeling/test_product_reviews.py compares every score with the stock
    analyzer's on hundreds of texts. `polarity_scores` skips the character-by-character emoji rewrite when
    the text holds no emoji (any ASCII text)."""

    def polarity_scores(self, text):  # noqa: ANN001, ANN201 - VADER's signature
        plain = text.isascii() or self.emojis.keys().isdisjoint(text)  # every emoji is outside ASCII
        text = (text if plain else _describe_emojis(text, self.emojis)).strip()
        sentitext = _SentiText(text)
        words_and_emoticons = sentitext.words_and_emoticons
        lowered = [item.lower() for item in words_and_emoticons]
        sentiments: list[float] = [0] * len(lowered)
        last = len(lowered) - 1
        scored = self._scored
        for i, low in enumerate(lowered):
            # words that only modify others (boosters, "kind of") carry no valence of their own, nor does a
            # word outside the lexicon (`sentiment_valence` would append the 0 it is given, after a call)
            if low in scored and not (low == "kind" and i < last and lowered[i + 1] == "of"):
                sentiments[i] = self._valence(i, words_and_emoticons, lowered, sentitext.is_cap_diff)
        if "but" in lowered:  # otherwise the stock check lower-cases every word again to change nothing
            sentiments = self._but_check(words_and_emoticons, sentiments)
        return self.score_valence(sentiments, text)

    @cached_property
    def _scored(self) -> frozenset[str]:
        """The lexicon's words that carry a valence of their own: all but the boosters and dampeners."""
        return frozenset(self.lexicon).difference(BOOSTER_DICT)

    @staticmethod
    def _sift_sentiment_scores(sentiments):  # noqa: ANN001, ANN205 - VADER's signature
        """VADER's, over the nonzero scores only (most are 0), adding in the same order."""
        pos_sum = 0.0
        neg_sum = 0.0
        for score in filter(None, sentiments):
            if score > 0:
                pos_sum += float(score) + 1  # compensates for neutral words that are counted as 1
            if score < 0:
                neg_sum += float(score) - 1  # when used with math.fabs(), compensates for neutrals
        return pos_sum, neg_sum, sentiments.count(0)

    def _valence(self, i: int, words: list[str], lowered: list[str], is_cap_diff: bool) -> float:
        """`sentiment_valence(0, sentitext, words[i], i, [])[-1]` for a lexicon word, reading `lowered`."""
        lexicon = self.lexicon
        low = lowered[i]
        valence = lexicon[low]
        # "no" before another lexicon word negates it rather than counting itself
        if low == "no" and i != len(words) - 1 and lowered[i + 1] in lexicon:
            valence = 0.0
        if (
            (i > 0 and lowered[i - 1] == "no")
            or (i > 1 and lowered[i - 2] == "no")
            or (i > 2 and lowered[i - 3] == "no" and lowered[i - 1] in ("or", "nor"))
        ):
            valence = lexicon[low] * N_SCALAR
        if words[i].isupper() and is_cap_diff:  # a word in capitals among words that are not
            if valence > 0:
                valence += C_INCR
            else:
                valence -= C_INCR
        for start_i in range(0, 3):
            before = i - (start_i + 1)
            if i > start_i and lowered[before] not in lexicon:
                s = 0.0  # `scalar_inc_dec(words[before], valence, is_cap_diff)`
                if lowered[before] in BOOSTER_DICT:
                    s = BOOSTER_DICT[lowered[before]]
                    if valence < 0:
                        s *= -1
                    if words[before].isupper() and is_cap_diff:
                        if valence > 0:
                            s += C_INCR
                        else:
                            s -= C_INCR
                if start_i == 1 and s != 0:
                    s = s * 0.95
                if start_i == 2 and s != 0:
                    s = s * 0.9
                valence = valence + s
                valence = _negation(valence, lowered, start_i, i)
                if start_i == 2:
                    valence = _special_idioms(valence, lowered, i)
        # `_least_check`: "least" before the word negates it, unless it reads "at least" or "very least"
        if i > 1 and lowered[i - 1] not in lexicon and lowered[i - 1] == "least":
            if lowered[i - 2] != "at" and lowered[i - 2] != "very":
                valence = valence * N_SCALAR
        elif i > 0 and lowered[i - 1] not in lexicon and lowered[i - 1] == "least":
            valence = valence * N_SCALAR
        return valence


def _negation(valence: float, lowered: list[str], start_i: int, i: int) -> float:
    """VADER's `_negation_check` on the lower-cased words (it reads at most the three before `i`)."""
    if start_i == 0 and _negated(lowered[i - 1]):  # 1 word preceding lexicon word (w/o stopwords)
        valence = valence * N_SCALAR
    if start_i == 1:
        if lowered[i - 2] == "never" and (lowered[i - 1] == "so" or lowered[i - 1] == "this"):
            valence = valence * 1.25
        elif lowered[i - 2] == "without" and lowered[i - 1] == "doubt":
            pass
        elif _negated(lowered[i - 2]):  # 2 words preceding the lexicon word position
            valence = valence * N_SCALAR
    if start_i == 2:
        three, two, one = lowered[i - 3], lowered[i - 2], lowered[i - 1]
        if three == "never" and (two == "so" or two == "this") or (one == "so" or one == "this"):
            valence = valence * 1.25
        elif three == "without" and (two == "doubt" or one == "doubt"):
            pass
        elif _negated(three):  # 3 words preceding the lexicon word position
            valence = valence * N_SCALAR
    return valence


def _special_idioms(valence: float, lowered: list[str], i: int) -> float:
    """VADER's `_special_idioms_check` on the lower-cased words (the three before `i`, the two after)."""
    zero, one, two, three = lowered[i], lowered[i - 1], lowered[i - 2], lowered[i - 3]
    onezero = f"{one} {zero}"
    twoonezero = f"{two} {one} {zero}"
    twoone = f"{two} {one}"
    threetwoone = f"{three} {two} {one}"
    threetwo = f"{three} {two}"
    for seq in (onezero, twoonezero, twoone, threetwoone, threetwo):
        if seq in SPECIAL_CASES:
            valence = SPECIAL_CASES[seq]
            break
    n = len(lowered)
    if n - 1 > i:
        zeroone = f"{zero} {lowered[i + 1]}"
        if zeroone in SPECIAL_CASES:
            valence = SPECIAL_CASES[zeroone]
    if n - 1 > i + 1:
        zeroonetwo = f"{zero} {lowered[i + 1]} {lowered[i + 2]}"
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
