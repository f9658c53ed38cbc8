"""A page's HTML parsed once, as a browser's HTML5 parser builds it (lexbor, through selectolax).

The schema.org extractor reads everything it needs from this one parse: the JSON-LD scripts, the microdata
items, whether any element carries RDFa, and the language the page declares. lexbor builds the tree in
about half the time libxml2 (lxml) takes for the same page, and it builds the tree the crawler's Chromium
built, where libxml2 recovers from broken markup its own way. NUL characters are dropped first, as parsel
drops them before lxml parses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

_XML_SPACE = re.compile(r"[ \t\r\n]+")  # what XPath's normalize-space() collapses
_LOWER_LD_JSON = str.maketrans("APLICTONDJS", "aplictondjs")  # the letters of application/ld+json
_LOWER_CONTENT_LANGUAGE = str.maketrans("CONTENTLAGU", "contentlagu")


def parse_html(html: str) -> LexborHTMLParser:
    return LexborHTMLParser(html.replace("\x00", "") if "\x00" in html else html)


@dataclass(frozen=True)
class Marked:
    """What the schema.org extractor reads from a page's elements, found in one walk of its tree: the text
    of each JSON-LD script, the microdata items (every element with ``itemscope``), both in document order,
    and whether any element carries RDFa (``typeof``)."""

    json_ld: list[str]
    items: list[LexborNode]
    rdfa: bool


def marked_elements(tree: LexborHTMLParser) -> Marked:
    json_ld, items, rdfa = [], [], False
    seen: set[int] = set()
    for node in tree.css("script, [itemscope], [typeof]"):  # document order, once per selector it matches
        if node.mem_id in seen:
            continue
        seen.add(node.mem_id)
        attributes = node.attributes
        if node.tag == "script" and _is_json_ld(attributes.get("type")):
            json_ld.append(node.text(deep=True))
        if "itemscope" in attributes:
            items.append(node)
        rdfa = rdfa or "typeof" in attributes
    return Marked(json_ld, items, rdfa)


def _is_json_ld(kind: str | None) -> bool:
    """``<script type>`` is application/ld+json, the case of its letters and the spaces around it aside,
    parameters allowed: what the XPath the extractor used with lxml selected."""
    return bool(kind) and _XML_SPACE.sub(" ", kind.translate(_LOWER_LD_JSON)).strip(" ").startswith(
        "application/ld+json"
    )


def declared_values(tree: LexborHTMLParser) -> Iterator[str]:
    """What the page says its language is, in the order to believe it: ``<html lang>``, ``xml:lang``, then
    each Content-Language ``<meta http-equiv>``, then each ``og:locale`` ``<meta property>`` (the metas are
    only looked for when asked for)."""
    root = tree.root
    if root is not None and root.tag == "html":
        attributes = root.attributes
        for name in ("lang", "xml:lang"):
            if name in attributes:  # written without a value: lxml reads ""
                yield attributes[name] or ""
    metas = tree.css("meta")
    for name, wanted in (("http-equiv", "content-language"), ("property", "og:locale")):
        for meta in metas:
            attributes = meta.attributes
            value = attributes.get(name)
            if value is None or "content" not in attributes:
                continue
            if (value.translate(_LOWER_CONTENT_LANGUAGE) if name == "http-equiv" else value) == wanted:
                yield attributes["content"] or ""
