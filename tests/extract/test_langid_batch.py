"""The page-at-once language classifier gives py3langid's own answer, to the last bit, for any text."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from gleaner.extract.langid_batch import classify_many
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
