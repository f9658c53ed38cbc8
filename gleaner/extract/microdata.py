"""extruct's microdata, item for item, without its per-page costs.

`extruct.extract(tree, syntaxes=["microdata"], uniform=True)` walks the whole document twice for its items,
runs one XPath set difference per item for its properties, and turns every text-valued property into text
by deep-copying the element and running lxml's `Cleaner` over the copy: on a page of twenty reviews that is
most of the extraction's time. Here the same extractor class runs with three of its steps replaced, each
by one giving the same answer:

* the items are found once (through their attributes, the quicker query) and serve both as the iteration
  and the document ids;
* each property element's owner (its nearest enclosing ``itemscope``, which is what extruct's
  ``.//*[@itemprop]`` minus ``.//*[@itemscope]//*[@itemprop]`` selects by) is found in one pass over the
  ``itemprop`` elements inside the outermost items, in document order as the XPath returns them;
* the text of an element with no children at all (no elements, comments or processing instructions) is
  ``html_text``'s whitespace normalisation of its text, which is what cleaning and ``etree_to_text`` give
  for it, unless it is an element the cleaner would empty (script, style, link, meta).

The item itself is built as extruct builds it, with the property loop inlined rather than run through two
generators per property. Anything else (``itemref``, elements with children, the uniform output) is
extruct's code, unchanged;
tests/extract/test_microdata.py compares both on the corpus and on generated markup.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.etree
from extruct.uniform import _umicrodata_microformat
from extruct.w3cmicrodata import LxmlMicrodataExtractor

SCHEMA_CONTEXT = "http://schema.org"  # extruct.extract's default `schema_context`
_CLEANED_AWAY = frozenset({"script", "style", "link", "meta"})  # the tags extruct's cleaner drops
_WHITESPACE = re.compile(r"\s+")  # html_text's
# extruct's ``descendant-or-self::*[@itemscope]`` and the ``itemprop`` elements, in document order: reached
# through the attribute axis, which libxml2 walks three times faster than a predicate on every element
_ITEMS = lxml.etree.XPath("descendant-or-self::node()/@itemscope/..")
_PROPERTIES = lxml.etree.XPath("descendant-or-self::node()/@itemprop/..")


class _Microdata(LxmlMicrodataExtractor):
    """One page's extraction (it keeps the page's property index): make one per page."""

    def __init__(self) -> None:
        super().__init__()  # extruct.extract's: nested, not strict, no text content, no HTML nodes
        self._properties: dict[Any, list[Any]] = {}

    def extract_items(self, document, base_url, every=None):
        """extruct's, with the page's items (`every`, when the caller already has them) found once."""
        root = document.getroottree().getroot()
        every = _ITEMS(root) if every is None else every
        items = every if document is root else _ITEMS(document)
        itemids = {node: index + 1 for index, node in enumerate(every)}
        self._properties = {node: [] for node in every}
        for item in every:
            if _owner(item) is None:  # an outermost item: its subtree holds every property of the items in it
                for node in _PROPERTIES(item):
                    if (owner := _owner(node)) is not None:
                        self._properties[owner].append(node)
        items_seen: set[Any] = set()
        found = (self._extract_item(it, items_seen=items_seen, base_url=base_url, itemids=itemids) for it in items)
        return [item for item in found if item]

    def _extract_item(self, node, items_seen, base_url, itemids):
        """extruct's `_extract_item` (nested, not strict) with its property loop inlined: the same item."""
        properties = self._properties.get(node)
        if properties is None or node.get("itemref"):  # another document's node, or references: extruct's
            return super()._extract_item(node, items_seen, base_url, itemids)
        itemid = itemids[node]
        if itemid in items_seen:
            return None
        items_seen.add(itemid)
        item: dict[str, Any] = {}
        types = node.get("itemtype", "").split()
        if types:
            item["type"] = types[0] if len(types) == 1 else types
            nodeid = node.get("itemid")
            if nodeid:
                item["id"] = nodeid.strip()
        values: dict[str, list[Any]] = {}
        for prop in properties:
            value = self._extract_property_value(prop, items_seen, base_url, itemids)
            for name in prop.get("itemprop").split():
                values.setdefault(name, []).append(value)
        if values:
            item["properties"] = {name: found[0] if len(found) == 1 else found for name, found in values.items()}
        else:  # an item without properties stands for its own value
            item["value"] = self._extract_property_value(node, items_seen, base_url, itemids, force=True)
        return item

    def _extract_properties(self, node, items_seen, base_url, itemids):
        properties = self._properties.get(node)
        if properties is None:  # not an item of this document: extruct's own query
            yield from super()._extract_properties(node, items_seen, base_url, itemids)
            return
        for prop in properties:
            yield from self._extract_property(prop, items_seen=items_seen, base_url=base_url, itemids=itemids)

    def _extract_textContent(self, node):
        if len(node) == 0 and isinstance(node.tag, str) and node.tag not in _CLEANED_AWAY:
            text = node.text.strip() if node.text else ""
            if text.isascii() and text.isprintable() and "  " not in text:  # single spaces only: nothing to do
                return text
            return _WHITESPACE.sub(" ", text)
        return super()._extract_textContent(node)


def _owner(node):
    """The nearest enclosing element with ``itemscope`` (the item a property belongs to), if any."""
    owner = node.getparent()
    while owner is not None and owner.get("itemscope") is None:
        owner = owner.getparent()
    return owner


def microdata(tree, base_url: str) -> list[dict[str, Any]] | None:
    """``extruct.extract(tree, base_url, syntaxes=["microdata"], uniform=True)["microdata"]``, faster; None
    when no element of the document has ``itemscope`` (where extruct is not worth asking)."""
    every = _ITEMS(tree.getroottree().getroot())
    if not every:
        return None
    return _umicrodata_microformat(_Microdata().extract_items(tree, base_url, every), SCHEMA_CONTEXT)
