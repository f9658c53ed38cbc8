"""Lenient JSON-LD parsing: each unambiguous repair is made and named; anything needing a guess is refused."""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gleaner.extract.jsonld_repair import JsonLdError, parse_json_ld


@pytest.mark.parametrize(
    ("text", "value", "repairs"),
    [
        ('{"a": 1}', {"a": 1}, []),
        ('\ufeff {"a": 1} ', {"a": 1}, []),
        ('{"a": [1, 2,],}', {"a": [1, 2]}, ["removed trailing commas"]),
        ('{"a": "x,}", "b": "y,]"}', {"a": "x,}", "b": "y,]"}, []),
        ('{"u": "http://x.test//y"} // end', {"u": "http://x.test//y"}, ["removed // comments"]),
        ('{/* a */"a": 1}', {"a": 1}, ["removed /* */ comments"]),
        ('{"a": "one\ntwo"}', {"a": "one\ntwo"}, ["escaped control characters in strings"]),
        ('{\x0c"a": 1}', {"a": 1}, ["blanked control characters"]),
        ('{"a": "it\\\'s"}', {"a": "it's"}, ["unescaped \\' in strings"]),
        ('{"a": "C:\\Temp"}', {"a": "C:\\Temp"}, ["kept unknown backslash escapes literally"]),
        ('{"a": "q\\"",}', {"a": 'q"'}, ["removed trailing commas"]),
        ('<!--\n{"a": 1}\n-->', {"a": 1}, ["removed <!-- --> / CDATA wrapper"]),
        ('/*<![CDATA[*/{"a": 1}/*]]>*/', {"a": 1}, ["removed <!-- --> / CDATA wrapper"]),
        ("{&quot;a&quot;: 1}", {"a": 1}, ["unescaped HTML-escaped JSON"]),
        ('{"a": 1}\n{"b": 2}', [{"a": 1}, {"b": 2}], ["split 2 concatenated JSON values"]),
        ('{"a": 1};', {"a": 1}, ["removed stray ; or , outside the value"]),
    ],
)
def test_repairs_are_made_and_named(text, value, repairs):
    assert parse_json_ld(text) == (value, repairs)


def test_empty_block_is_no_data_not_an_error():
    assert parse_json_ld("  \n ") == (None, [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{'a': 1}", "Expecting property name enclosed in double quotes at line 1 column 2"),
        ("{a: 1}", "Expecting property name enclosed in double quotes"),
        ('{"a": 1', "Expecting ',' delimiter"),
        ('{"a": "open}', "Unterminated string"),
        ('{"a": 1 /* never closed', "unterminated /* comment"),
        ('{"a": [1,,2]}', "Expecting value"),
    ],
)
def test_ambiguous_or_truncated_blocks_are_refused_with_where(text, message):
    with pytest.raises(JsonLdError, match=re.escape(message)):
        parse_json_ld(text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}[]\",:;/*\\'\n\t\x01 ab1&quot<!-->")), max_size=60))
def test_any_text_parses_or_is_refused_with_a_reason(text):
    try:
        parse_json_ld(text)
    except JsonLdError as exc:
        assert str(exc)


WORDS = st.text(alphabet="abc xyz,:", max_size=6)  # no brackets inside strings, so injection stays outside them


@given(st.recursive(st.none() | st.integers() | WORDS, lambda x: st.lists(x) | st.dictionaries(WORDS, x)))
def test_valid_json_with_injected_trailing_commas_round_trips(value):
    text = json.dumps(value).replace("]", ",]").replace("}", ",}").replace("[,]", "[]").replace("{,}", "{}")
    assert parse_json_ld(text)[0] == value
