"""Review text as a reader sees it, whichever syntax it came through.

The same review arrives as JSON-LD with entities left in (``&amp;``, sometimes twice), as markup with
``<br>`` tags inside ``reviewBody``, or as DOM text with layout whitespace. Cleaning all of them the same way
makes the text (and so the content hash and the fallback review id) identical across syntaxes.
"""

from __future__ import annotations

import html
import re
import unicodedata

from lxml import html as lxml_html

_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_BREAKS = re.compile(r"<\s*(?:br|/p|/div|/li|/h[1-6])\s*/?>", re.I)
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_PUNCTUATION = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
_WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}{_CJK_PUNCTUATION}]+")


def _strip_tags(text: str) -> str:
    text = _BREAKS.sub(lambda m: m.group(0) + "\n", text)
    try:
        return lxml_html.fragment_fromstring(text, create_parent="div").text_content()
    except Exception:  # lxml refuses some fragments (only a comment, odd bytes): fall back to a regex
        return _TAG.sub(" ", text)


# Anything `_clean` could change: an entity or tag opener, a character it replaces or drops, whitespace other
# than single spaces and newlines, a space beside a newline, a blank line too many, whitespace at either end.
_NOT_CLEAN = re.compile(
    r"[&<\x00-\x09\x0b-\x1f\x7f\u00a0\u00ad\u200b-\u200d\u2060\ufeff]|[^\S \n]|  | \n|\n |\n\n\n|\A[ \n]|[ \n]\Z"
)
_CJK_ANY = re.compile(rf"[{_CJK}{_CJK_PUNCTUATION}]")


def clean_text(value: object) -> str:
    """Unescape entities (at most twice: double-escaped feeds are common), drop tags, tidy whitespace.

    Most values (ids, names, dates, plain reviews) are clean already: one search proves it and they come
    back as they are, which is what the full cleaning would return for them (tests/extract/test_text_clean.py).
    """
    if value is None:
        return ""
    text = str(value)
    if text.isascii() and text.isprintable():  # one line of ASCII: only these can still change it
        plain = "&" not in text and "<" not in text and "  " not in text and text[:1] != " " and text[-1:] != " "
    else:
        plain = _NOT_CLEAN.search(text) is None and (text.isascii() or unicodedata.is_normalized("NFC", text))
    return text if plain else _clean(text)


def _clean(text: str) -> str:
    for _ in range(2):
        if not _ENTITY.search(text):
            break
        text = html.unescape(text)
    if _TAG.search(text):
        text = _strip_tags(text)
    text = unicodedata.normalize("NFC", text.replace("\u00a0", " ").replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub(" ", _INVISIBLE.sub("", text))
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", "\n".join(line.strip() for line in text.split("\n")))
    return text.strip()


def word_count(text: str) -> int:
    """Whitespace words, except that each Chinese/Japanese character counts as one (they use no spaces)."""
    if text.isascii() or _CJK_ANY.search(text) is None:  # then the words are exactly the whitespace-split ones
        return len(text.split())
    return len(_WORD.findall(text))
