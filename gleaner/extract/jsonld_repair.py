"""Lenient JSON for JSON-LD blocks: repair what CMS templates routinely break, refuse what would need a guess.

A strict parser throws away a whole block (often every review on the page) for a trailing comma. Each repair
here has exactly one reading, so a repaired block means what its author meant: comments and HTML-comment or
CDATA wrappers are dropped, trailing commas before ``}``/``]`` removed, raw control characters escaped (inside
strings) or blanked (outside), unknown backslash escapes kept as literal backslashes, a block HTML-escaped as a
whole (``&quot;``) unescaped, and several concatenated values returned as one list. Single quotes, unquoted
keys or truncated blocks have more than one reading and stay errors. Every repair is named in the result, so
records from a repaired block can say so.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

_WRAPPERS = (
    re.compile(r"^\s*(?://\s*)?<!--(?P<body>.*?)(?://\s*)?-->\s*$", re.S),
    re.compile(r"^\s*(?://\s*|/\*\s*)?<!\[CDATA\[(?:\s*\*/)?(?P<body>.*?)(?://\s*|/\*\s*)?\]\]>(?:\s*\*/)?\s*$", re.S),
)
_VALID_ESCAPES = set('"\\/bfnrtu')
_ESCAPED_CONTROLS = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


class JsonLdError(ValueError):
    """A block that stays invalid after every unambiguous repair; the message says where and why."""


def _strip_wrappers(text: str, repairs: list[str]) -> str:
    changed = True
    while changed:
        changed = False
        for pattern in _WRAPPERS:
            if match := pattern.match(text):
                text = match["body"]
                changed = True
                repairs.append("removed <!-- --> / CDATA wrapper")
    return text


def _scan(text: str, repairs: list[str]) -> str:
    """One pass that knows where strings are: comments, controls and bad escapes handled, trailing commas cut."""
    out: list[str] = []
    found: set[str] = set()
    i, n = 0, len(text)
    in_string = False
    while i < n:
        c = text[i]
        if in_string:
            if c == "\\" and i + 1 < n:
                nxt = text[i + 1]
                if nxt in _VALID_ESCAPES:
                    out.append(text[i : i + 2])
                elif nxt == "'":
                    out.append("'")
                    found.add("unescaped \\' in strings")
                else:
                    out.append("\\\\")
                    found.add("kept unknown backslash escapes literally")
                    i += 1
                    continue
                i += 2
                continue
            if c == '"':
                in_string = False
            elif c < " ":
                out.append(_ESCAPED_CONTROLS.get(c, f"\\u{ord(c):04x}"))
                found.add("escaped control characters in strings")
                i += 1
                continue
            out.append(c)
            i += 1
            continue
        if c == '"':
            in_string = True
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            found.add("removed // comments")
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise JsonLdError(f"unterminated /* comment at character {i}")
            i = end + 2
            out.append(" ")
            found.add("removed /* */ comments")
            continue
        elif c < " " and c not in "\t\n\r":
            out.append(" ")
            found.add("blanked control characters")
            i += 1
            continue
        out.append(c)
        i += 1
    cleaned = "".join(out)
    without_commas = _drop_trailing_commas(cleaned)
    if without_commas != cleaned:
        found.add("removed trailing commas")
    repairs.extend(sorted(found))
    return without_commas


def _drop_trailing_commas(text: str) -> str:
    out: list[str] = []
    in_string = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if in_string:
            if c == "\\":
                out.append(text[i : i + 2])
                i += 2
                continue
            in_string = c != '"'
        elif c == '"':
            in_string = True
        elif c == ",":
            j = i + 1
            while j < n and text[j].isspace():
                j += 1
            if j < n and text[j] in "}]":
                i += 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _decode_all(text: str, repairs: list[str]) -> Any:
    """One JSON value, or several written back to back (``{..}{..}``, ``{..};``) as a list."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    i, n = 0, len(text)
    separators = False
    while True:
        while i < n and (text[i].isspace() or text[i] in ";,"):
            separators = separators or text[i] in ";,"
            i += 1
        if i >= n:
            break
        value, i = decoder.raw_decode(text, i)
        values.append(value)
    if not values:
        raise JsonLdError("block holds no JSON value")
    if len(values) > 1:
        repairs.append(f"split {len(values)} concatenated JSON values")
        return values
    if separators:
        repairs.append("removed stray ; or , outside the value")
    return values[0]


def _repair(text: str) -> tuple[Any, list[str]]:
    repairs: list[str] = []
    text = _strip_wrappers(text, repairs)
    text = _scan(text, repairs)
    return _decode_all(text, repairs), repairs


def parse_json_ld(text: str) -> tuple[Any, list[str]]:
    """(value, repairs made). Empty blocks give (None, []); unrepairable ones raise `JsonLdError`."""
    stripped = text.strip().lstrip("\ufeff").strip()
    if not stripped:
        return None, []
    try:
        return json.loads(stripped), []
    except json.JSONDecodeError:
        pass
    try:
        return _repair(stripped)
    except json.JSONDecodeError as exc:
        error = exc
    if "&quot;" in stripped or "&#34;" in stripped:
        try:
            value, repairs = _repair(html.unescape(stripped))
            return value, ["unescaped HTML-escaped JSON", *repairs]
        except (json.JSONDecodeError, JsonLdError):
            pass
    raise JsonLdError(f"{error.msg} at line {error.lineno} column {error.colno}")
