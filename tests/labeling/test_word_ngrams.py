"""The polars word n-gram TF-IDF builds scikit-learn's matrix: same vocabulary, same cells, same weights."""

from __future__ import annotations

import random

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from gleaner.demo_site.texts import ProductVoice, review_text
from gleaner.labeling.word_ngrams import WordNgramTfidf

AWKWARD = [
    "",
    "a",
    "Ok!!! 5/5 -- would BUY again :)",
    "It's the customer's fault, isn't it? don't_know snake_case 42 x 3.14",
    "Ünïcödé çafé naïve ÉCOLE straße ΟΔΟΣ ΣΟΦΟΣ",
    "Отличный чайник, рекомендую всем!  Очень доволен.",
    "很好 非常好用 推荐",
    "tabs\tand\nnew\r\nlines   and  spaces",
    "emoji 😀 between words 👍 ok",
    "repeat repeat repeat repeat the the the",
]


def _reviews(n: int) -> list[str]:
    rng = random.Random(5)
    voice = ProductVoice("kettle", ("lid", "handle", "base", "cord"))
    leans = {5: "positive", 4: "positive", 3: "neutral", 2: "negative", 1: "negative"}
    ratings = [rng.randint(1, 5) for _ in range(n)]
    return [review_text(rng, voice, r, leans[r], rng.choice((None, "negation", "sarcasm"))) for r in ratings]


def _same(ours, theirs) -> None:
    ours, theirs = ours.tocsr(), theirs.tocsr()
    ours.sort_indices()
    theirs.sort_indices()
    assert ours.shape == theirs.shape
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.allclose(ours.data, theirs.data, rtol=0, atol=1e-12)


@pytest.mark.parametrize("texts", [AWKWARD, _reviews(400) + AWKWARD], ids=["awkward", "reviews"])
def test_fit_transform_and_transform_equal_scikit_learns(texts: list[str]) -> None:
    reference = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    ours = WordNgramTfidf()
    _same(ours.fit_transform(texts), reference.fit_transform(texts))
    assert ours.get_feature_names_out().tolist() == reference.get_feature_names_out().tolist()
    unseen = ["a brand new kettle, never seen before", "", "Отличный", "lid lid handle"]
    _same(ours.transform(unseen), reference.transform(unseen))


def test_no_word_at_all_is_the_same_error() -> None:
    with pytest.raises(ValueError, match="empty vocabulary"):
        WordNgramTfidf().fit_transform(["!", "a", ""])
    with pytest.raises(ValueError, match="empty vocabulary"):
        TfidfVectorizer(ngram_range=(1, 2)).fit_transform(["!", "a", ""])


def test_the_one_known_difference_is_combining_marks() -> None:
    """A decomposed accent ("e" + U+0301; "İ" lower-cases to "i" + U+0307) is a word character to Rust's
    regex and not to Python's: the module docstring's stated difference, pinned so a change is noticed."""
    texts = ["cafe\u0301 au lait", "İstanbul trip"]
    ours = WordNgramTfidf()
    ours.fit_transform(texts)
    reference = TfidfVectorizer(ngram_range=(1, 2)).fit(texts)
    assert "cafe\u0301" in ours.get_feature_names_out().tolist()
    assert "cafe" in reference.get_feature_names_out().tolist()


def test_a_vocabulary_past_sixty_five_thousand_terms_keeps_every_column() -> None:
    """Column numbers come from an enum over the vocabulary, whose codes widen with its size (8, 16, 32 bits):
    the last columns of a large vocabulary must still land where scikit-learn puts them."""
    rng = random.Random(11)
    words = [f"w{n:05d}" for n in range(40_000)]
    texts = [" ".join(rng.choice(words) for _ in range(30)) for _ in range(1_500)]
    reference = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    ours = WordNgramTfidf()
    _same(ours.fit_transform(texts), reference.fit_transform(texts))
    assert len(ours.get_feature_names_out()) > 65_536
    unseen = [f"{words[-1]} {words[0]} unknown", "unknown words only"]
    _same(ours.transform(unseen), reference.transform(unseen))
