"""The page-at-once language classifier gives py3langid's own answer, to the last bit, for any text."""

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gleaner.extract.langid_batch import classify_many, could_reach
from gleaner.extract.language import _identifier, detect_language, detect_languages

REVIEWS = [
    "Der Wasserkocher ist sehr leise und kocht das Wasser in weniger als drei Minuten.",
    "La bouilloire est très silencieuse et l'eau bout en moins de trois minutes.",
    "The kettle is very quiet and boils the water in less than three minutes.",
    "とても良い商品でした。",
    "Отличный чайник, быстро кипятит воду.",
    "Sehr gut!",
    "ok 5/5",
    "",
    "ABC DEF",
    "x" * 2000,
]


def test_many_texts_classified_as_one_by_one():
    rng = random.Random(3)
    texts = REVIEWS + [" ".join(rng.choice(REVIEWS) for _ in range(rng.randrange(1, 5))) for _ in range(200)]
    identifier = _identifier()
    assert classify_many(identifier, texts) == [identifier.classify(text) for text in texts]
    assert classify_many(identifier, []) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=6))
def test_any_texts_classified_as_one_by_one(texts):
    identifier = _identifier()
    assert classify_many(identifier, texts) == [identifier.classify(text) for text in texts]


def test_detect_languages_is_detect_language_for_each():
    assert detect_languages(REVIEWS) == [detect_language(text) for text in REVIEWS]
    assert detect_language("!!") == detect_language("") == detect_languages(["7"])[0]


def _cannot_reach(identifier, text: str, language: str, bar: float) -> bool:
    """What `could_reach` claims when it says False, checked with py3langid's own scores."""
    scores = identifier._decide(text)
    return all(
        score < bar for name, score in zip(identifier.nb_classes, scores.tolist(), strict=True) if name != language
    )


MIXED = [
    *REVIEWS,
    "Great kettle, but the lid broke after a week. Das Wasser kocht schnell.",
    "Bon produit, would buy again. Muy bueno.",
    "Il prodotto è arrivato in tempo e funziona benissimo, lo consiglio a tutti.",
    "Produkt dobry, ale trochę za drogi. Polecam!",
    "The lamp",
    "Lampe",
    "OK",
    "Très bien",
    "5 stars!!!",
]


@pytest.mark.parametrize("language", ["en", "de", "fr", "ja", "ru", "zz"])
@pytest.mark.parametrize("bar", [0.5, 0.8, 0.949])
def test_could_reach_is_a_proof_where_it_says_no(language, bar):
    rng = random.Random(f"{language}{bar}")
    texts = MIXED + [" ".join(rng.choice(MIXED) for _ in range(rng.randrange(1, 4))) for _ in range(150)]
    identifier = _identifier()
    answers = could_reach(identifier, texts, language, bar)
    assert len(answers) == len(texts)
    for text, could in zip(texts, answers, strict=True):
        assert could or _cannot_reach(identifier, text, language, bar), text
    assert not all(answers) and (any(answers) or bar > 0.9)  # it proves some, and is no blanket "no"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=80), max_size=6), st.sampled_from(["en", "de", "ja", "zz"]))
def test_could_reach_is_a_proof_for_any_texts(texts, language):
    identifier = _identifier()
    for text, could in zip(texts, could_reach(identifier, texts, language, 0.6), strict=True):
        assert could or _cannot_reach(identifier, text, language, 0.6), text


def test_could_reach_flags_a_review_in_another_language():
    identifier = _identifier()
    german, english = REVIEWS[0], REVIEWS[2]
    assert could_reach(identifier, [german, english], "en", 0.949) == [True, False]
    assert could_reach(identifier, [], "en", 0.949) == []


def test_compiled_walk_meets_what_py3langid_counts():
    """`_walk` is py3langid's `visit_counts` loop, each text from the start state: the same features, the same
    number of times, in the order the loop meets them, however many texts share the walk's lanes."""
    from collections import Counter

    from py3langid.langid import visit_counts

    from gleaner.extract import langid_batch

    identifier = _identifier()
    rng = random.Random(7)
    texts = MIXED + ["", "x"] + [" ".join(rng.choice(MIXED) for _ in range(rng.randrange(1, 4))) for _ in range(50)]
    everything = [identifier._encode(text) for text in texts]
    for encoded in (everything, everything[:1], everything[2:5], [b"", b"x"], [], [b""] * 9, everything[::-1]):
        for data, features in zip(encoded, langid_batch._features(identifier, encoded), strict=True):
            met = [f for f in features.tolist() if f >= 0]
            counted = visit_counts(identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, data)
            assert len(features) == len(data)
            assert list(Counter(met).items()) == list((counted or Counter()).items())


def test_reach_sums_are_the_raw_scores():
    """`could_reach`'s compiled sums are py3langid's raw scores less the prior, to within float32 rounding,
    text by text however many texts share a call (the feature counts are cleared between texts)."""
    from py3langid.langid import visit_counts

    from gleaner.extract import langid_batch

    identifier = _identifier()
    rng = random.Random(11)
    texts = MIXED + [" ".join(rng.choice(MIXED) for _ in range(rng.randrange(1, 4))) for _ in range(60)]
    encoded = [identifier._encode(text) for text in texts]
    features, ends = langid_batch._walk_all(identifier, encoded)
    half = identifier.nb_ptc.view(np.uint16)
    sums, magnitude, terms = langid_batch._reach_sums(features, ends, half, langid_batch._row_bounds(identifier))
    for i, data in enumerate(encoded):
        visits = visit_counts(identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, data)
        assert terms[i] == len(visits or {})
        if visits:
            expected = identifier._raw_score(data).astype(np.float64) - identifier.nb_pc
            assert np.abs(sums[i] - expected).max() <= 1e-4 * magnitude[i]
        else:
            assert not sums[i].any() and magnitude[i] == 0


def test_could_reach_proves_nothing_on_a_table_it_cannot_widen():
    """A float16 table with a zero (or a subnormal) is not widened by `_reach_sums`' shift-and-add: no proof."""
    from py3langid.langid import LanguageIdentifier

    identifier = _identifier()
    table = identifier.nb_ptc.copy()
    table[0, 0] = 0.0
    other = LanguageIdentifier(
        table, identifier.nb_pc, identifier.nb_classes, identifier.tk_nextmove, identifier.tk_output,
        norm_probs=True, tk_row=identifier.tk_row,
    )  # fmt: skip
    english = REVIEWS[2]
    assert could_reach(identifier, [english], "en", 0.949) == [False]
    assert could_reach(other, [english, english], "en", 0.949) == [True, True]
