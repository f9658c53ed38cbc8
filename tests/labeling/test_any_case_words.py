"""`AnyCaseWords` answers as the case-insensitive whole-word pattern does, on every kind of text: ASCII text
takes the lowercase path, anything else (where the flag matches more than ASCII case) the flagged pattern."""

from __future__ import annotations

import pickle
import re

import pytest

from gleaner.labeling import AnyCaseWords
from gleaner.labeling.functions import whole_words

TERMS = [
    ("refund", "returned it", "broke after", "do not buy"),
    ("USB", "Wi-Fi", "c++", "5-star", "a.b"),  # capitals and punctuation in the terms
    ("très bien", "stark"),  # a term that is not ASCII: every text takes the flagged pattern
    ("ſent", "KELVIN"),
]
TEXTS = [
    "I asked for a REFUND.",
    "Refunded twice, prerefund, _refund and 5refund are not the word",
    "refund!",
    "It Broke After a week; do NOT buy",
    "broke  after",  # two spaces: not the phrase
    "usb-c and wi-fi, C++ and a 5-STAR A.B rating",
    "aXb is not a.b",
    "a usb stick, WI-FI only",  # the terms' capitals, in another case
    "ſent it back and a refund",  # the long s: the flag matches it to s
    "broKe after",  # the Kelvin sign: the flag matches it to k
    "HİGHLY, refund",  # dotted capital I
    "ıt broke after",  # dotless i
    "érefund and refundé are not the word, refund — is",
    "TRÈS BIEN and très bien",
    "kelvin and STARK",
    "",
    "nothing here",
]


@pytest.mark.parametrize("terms", TERMS)
def test_any_case_words_answers_as_the_flagged_pattern(terms: tuple[str, ...]) -> None:
    flagged = re.compile(whole_words(terms), re.IGNORECASE)
    words = AnyCaseWords(terms)
    for text in TEXTS:
        assert words.search(text) == (flagged.search(text) is not None), text
    assert pickle.loads(pickle.dumps(words)).search("REFUND") == words.search("REFUND")


def test_only_ascii_terms_get_the_lowercase_path() -> None:
    assert AnyCaseWords(TERMS[0]).lowered is not None and AnyCaseWords(TERMS[2]).lowered is None
    # the cases the lowercase path must not answer: text the flag reads differently from its lowered form
    words = AnyCaseWords(("sent it back", "broke after"))
    assert words.search("ſent it back") and words.search("broKe after")
