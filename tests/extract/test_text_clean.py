"""The shortcuts in text cleaning and word counting answer exactly as the full versions do."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gleaner.extract.text_clean import _WORD, _clean, clean_text, word_count

TRICKY = (
    " \n\r\t\x0b\x0c\x1c\x1f\x7f\x00\x85\u00a0\u00ad\u200b\u2003\u2028\u3000\ufeff&<>;#a1éeÉ\u0301\u3001\u4e00\uff01"
)
SAMPLES = [
    "",
    " ",
    "plain",
    "two  spaces",
    " lead",
    "trail ",
    "a\nb",
    "a\n\nb",
    "a\n\n\nb",
    "a \nb",
    "a\n b",
    "\nx",
    "x\n",
    "caf\u00e9",
    "cafe\u0301",
    "a&amp;b",
    "a &amp;amp; b",
    "<b>x</b>",
    "x < y",
    "tab\there",
    "nb\u00a0sp",
    "\ud800 lone",
    "日本語のレビュー",
    "좋아요 최고",
    "good、bad",
    "r00001-05",
    "2026-01-01",
]


def _slow_words(text: str) -> int:
    return len(_WORD.findall(text))


@pytest.mark.parametrize("text", SAMPLES)
def test_samples(text):
    assert clean_text(text) == _clean(text)
    assert word_count(text) == _slow_words(text)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from(TRICKY) | st.characters(), max_size=40))
def test_any_text(text):
    assert clean_text(text) == _clean(text)
    assert word_count(text) == _slow_words(text)
    cleaned = clean_text(text)
    assert word_count(cleaned) == _slow_words(cleaned)


def test_whitespace_is_one_set_for_split_and_regex():
    """word_count's shortcut (str.split) and its regex (\\s) must agree on what whitespace is."""
    space = re.compile(r"\s")
    assert all(bool(space.match(chr(c))) == chr(c).isspace() for c in range(sys.maxunicode + 1))


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from("   \n\nabe\u0301\u3001\u4e00\t&"), max_size=12))
def test_dense_whitespace(text):
    """Mostly clean characters, so that the one which is not has to be noticed."""
    assert clean_text(text) == _clean(text)
    assert word_count(text) == _slow_words(text)
