"""extruct's microdata, item for item, read from the page's HTML5 parse (lexbor) rather than from lxml.

`extruct.extract(tree, syntaxes=["microdata"], uniform=True)` needs an lxml tree; the extractor parses each
page once, with lexbor (`gleaner.extract.html_tree`), and reads its items here by extruct's rules
(``LxmlMicrodataExtractor``, nested and not strict):

* the items are every element with ``itemscope``, in document order, and their document ids follow it;
* an item's properties are the ``itemprop`` elements whose nearest enclosing ``itemscope`` is the item
  (what extruct's ``.//*[@itemprop]`` minus ``.//*[@itemscope]//*[@itemprop]`` selects), then those its
  ``itemref`` ids bring in;
* a property's value comes from its element as extruct takes it (``content`` of a meta, a URL joined to the
  page's, ``value``, ``datetime``, ``content``, an ``-input``/``-output`` description, else the text);
* the text of an element holding only text is ``html_text``'s whitespace normalisation of it, which is what
  extruct's cleaning and ``etree_to_text`` give for it (unless the cleaner empties the element: script,
  style, link, meta). An element with children is copied into lxml as it is (`as_lxml`) for extruct's own
  text extraction.

The output goes through extruct's uniform step (``flatten_dict``), each item type's context worked out once
per process (`_uniform`). tests/extract/test_microdata.py compares this with
extruct on the corpus and on generated markup.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
from extruct.uniform import infer_context
from extruct.w3cmicrodata import LxmlMicrodataExtractor
from selectolax.lexbor import LexborHTMLParser, LexborNode
from w3lib.html import strip_html5_whitespace

SCHEMA_CONTEXT = "http://schema.org"  # extruct.extract's default `schema_context`
_CLEANED_AWAY = frozenset({"script", "style", "link", "meta"})  # the tags extruct's cleaner drops
_WHITESPACE = re.compile(r"\s+")  # html_text's
_URL_FROM = {
    **dict.fromkeys(("audio", "embed", "iframe", "img", "source", "track", "video"), "src"),
    **dict.fromkeys(("a", "area", "link"), "href"),
    "object": "data",
}
_VALUE_FROM = {"data": "value", "meter": "value", "time": "datetime"}
_EXTRUCT = LxmlMicrodataExtractor()
_MAKE = lxml.html.html_parser.makeelement


def _attributes(node: LexborNode) -> dict[str, str]:
    """The element's attributes as lxml reads them: an attribute written without a value is ""."""
    return {name: "" if value is None else value for name, value in node.attributes.items()}


def _text_content(node: LexborNode) -> str:
    """extruct's `_extract_textContent`: the element's text after lxml's cleaner, by ``html_text``."""
    child = node.child
    while child is not None and child.is_text_node:
        child = child.next
    if child is None and node.tag not in _CLEANED_AWAY:  # text alone: the normalisation is all there is to it
        text = node.text(deep=True).strip()
        if text.isascii() and text.isprintable() and "  " not in text:  # single spaces only: nothing to do
            return text
        return _WHITESPACE.sub(" ", text)
    return _EXTRUCT._extract_textContent(as_lxml(node))


def _element(tag: str, attributes: dict[str, str]) -> lxml.html.HtmlElement:
    """An lxml.html element; one whose name or attributes lxml refuses (HTML5 allows more) keeps what it can."""
    for name, attrib in ((tag, attributes), (tag, {}), ("span", {})):  # an unknown tag is inline, as a span
        try:
            return _MAKE(name, attrib)
        except ValueError:
            continue
    raise AssertionError("unreachable: a span is always an element")


def as_lxml(node: LexborNode) -> lxml.html.HtmlElement:
    """The element and everything in it as an lxml.html tree: the same elements, attributes, texts and
    comments in the same places, so extruct's text extraction reads the tree lexbor built."""
    element = _element(node.tag, _attributes(node))
    last = None
    for child in node.iter(include_text=True):
        if child.is_text_node:
            text = child.text(deep=False)
            if last is None:
                element.text = (element.text or "") + text
            else:
                last.tail = (last.tail or "") + text
        elif child.is_comment_node:
            last = lxml.etree.Comment(child.comment_content or "")
            element.append(last)
        elif child.is_element_node:
            last = as_lxml(child)
            element.append(last)
    return element


class _Page:
    """One page's items: their document ids, each one's own properties, the ids `itemref` may name.

    Attributes are read as lexbor gives them, where an attribute written without a value is None (lxml
    reads ""): every read below treats None as "", and each element's attributes are read once."""

    def __init__(self, tree: LexborHTMLParser, items: list[LexborNode], base_url: str) -> None:
        self.tree, self.base_url = tree, base_url
        self.itemids = {node: index + 1 for index, node in enumerate(items)}  # every element with itemscope
        self.properties: dict[LexborNode, list[tuple[LexborNode, dict]]] = {node: [] for node in items}
        for item in items:
            if self._owner(item) is None:  # an outermost item: its subtree holds every property of its items
                for node in item.css("[itemprop]"):
                    if (owner := self._owner(node)) is not None:
                        self.properties[owner].append((node, node.attributes))
        self.seen: set[int] = set()
        self._ids: dict[str, LexborNode] | None = None

    def _owner(self, node: LexborNode) -> LexborNode | None:
        """The nearest enclosing element with ``itemscope`` (the item a property belongs to), if any."""
        owner = node.parent
        while owner is not None and owner not in self.itemids:  # a node hashes and compares by its mem_id
            owner = owner.parent
        return owner

    def item(self, node: LexborNode, attributes: dict[str, str | None]) -> dict[str, Any] | None:
        """extruct's `_extract_item`: None for an item already read (as a property of another, say)."""
        itemid = self.itemids[node]
        if itemid in self.seen:
            return None
        self.seen.add(itemid)
        item: dict[str, Any] = {}
        types = (attributes.get("itemtype") or "").split()
        if types:
            item["type"] = types[0] if len(types) == 1 else types
            if nodeid := attributes.get("itemid"):
                item["id"] = nodeid.strip()
        values: dict[str, list[Any]] = {}
        for prop, found in self.properties[node]:
            self._add(values, prop, found)
        for refid in (attributes.get("itemref") or "").split():
            for prop in self._referenced(refid):
                self._add(values, prop, prop.attributes)
        if values:
            item["properties"] = {name: found[0] if len(found) == 1 else found for name, found in values.items()}
        else:  # an item without properties stands for its own value
            item["value"] = self.value(node, attributes, force=True)
        return item

    def _add(self, values: dict[str, list[Any]], prop: LexborNode, attributes: dict[str, str | None]) -> None:
        value = self.value(prop, attributes)  # read even when the itemprop names nothing: a nested item is seen
        for name in (attributes["itemprop"] or "").split():
            values.setdefault(name, []).append(value)

    def value(self, node: LexborNode, attributes: dict[str, str | None], force: bool = False) -> Any:
        """extruct's `_extract_property_value`."""
        tag = node.tag
        if not force and "itemscope" in attributes:
            return self.item(node, attributes)
        if tag == "meta":
            return attributes.get("content") or ""
        if tag in _URL_FROM:
            return urljoin(self.base_url, strip_html5_whitespace(attributes.get(_URL_FROM[tag]) or ""))
        if tag in _VALUE_FROM:
            return attributes.get(_VALUE_FROM[tag]) or ""
        if content := attributes.get("content"):
            return content
        itemprop = attributes.get("itemprop")
        if itemprop and (itemprop.endswith("-input") or itemprop.endswith("-output")):
            result: dict[str, Any] = {}
            if "required" in attributes:
                result["valueRequired"] = True
            if name := attributes.get("name"):
                result["valueName"] = name
            return result
        return _text_content(node)

    def _referenced(self, refid: str) -> list[LexborNode]:
        """extruct's `_extract_property_refs`: the element with id `refid` when it is an item property itself,
        else the ``itemprop`` elements in it that share its nearest ``itemscope``."""
        if self._ids is None:
            self._ids = {}
            for element in self.tree.css("[id]"):
                self._ids.setdefault(element.attributes["id"] or "", element)  # the first of an id, as libxml2's
        ref = self._ids.get(refid)
        if ref is None:
            return []
        attributes = ref.attributes
        if "itemprop" in attributes and "itemscope" in attributes:
            return [ref]
        scope = ref if "itemscope" in attributes else self._owner(ref)
        return [prop for prop in ref.css("[itemprop]") if self._owner(prop) == scope]


def microdata(
    tree: LexborHTMLParser, base_url: str, items: list[LexborNode] | None = None
) -> list[dict[str, Any]] | None:
    """``extruct.extract(tree, base_url, syntaxes=["microdata"], uniform=True)["microdata"]`` on the page's
    lexbor parse; None when no element of the document has ``itemscope`` (no microdata to speak of).
    `items`: those elements in document order, when the caller has them (`html_tree.marked_elements`)."""
    items = tree.css("[itemscope]") if items is None else items
    if not items:
        return None
    page = _Page(tree, items, base_url)
    found = (page.item(node, node.attributes) for node in items)
    return [_uniform(item, top=True) for item in found if item]


@lru_cache(maxsize=1024)  # a page's items have a few types, each parsed as a URL by `infer_context`
def _context_and_type(itemtype: str) -> tuple[str, str]:
    return infer_context(itemtype, SCHEMA_CONTEXT)


def _uniform(item: Any, top: bool = False) -> Any:
    """extruct's ``flatten_dict(item, SCHEMA_CONTEXT, top)`` for a dict (what its ``_flatten`` does for any
    value otherwise), line for line, with `_context_and_type` for its ``infer_context``."""
    if isinstance(item, list):
        return [_uniform(value) if isinstance(value, dict) else value for value in item]
    if not isinstance(item, dict):
        return item
    out = dict(item)
    typ = out.pop("type", None)
    if not typ:
        return item
    if isinstance(typ, list):
        out["@type"], context = typ, SCHEMA_CONTEXT
    else:
        context, out["@type"] = _context_and_type(typ)
    if top:
        out["@context"] = context
    for name, value in out.pop("properties", {}).items():
        out[name] = _uniform(value)
    children = out.pop("children", [])
    if children:
        out["children"] = [_uniform(child) for child in children]
    return out
