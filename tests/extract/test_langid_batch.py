"""The page-at-once language classifier gives py3langid's own answer, to the last bit, for any text."""

import random

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


def test_padded_walk_is_the_masked_walk(monkeypatch):
    """The reset-byte padding (py3langid's model allows it) and the masked walk (any model) meet the same
    features at every byte."""
    from gleaner.extract import langid_batch

    identifier = _identifier()
    rng = random.Random(7)
    texts = MIXED + ["", "x"] + [" ".join(rng.choice(MIXED) for _ in range(rng.randrange(1, 4))) for _ in range(50)]
    encoded = [identifier._encode(text) for text in texts]
    assert langid_batch._resets(identifier)
    padded = langid_batch._features(identifier, encoded)
    monkeypatch.setattr(langid_batch, "_resets", lambda identifier: False)
    masked = langid_batch._features(identifier, encoded)
    assert [f.tolist() for f in padded] == [f.tolist() for f in masked]
