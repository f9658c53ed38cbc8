"""schema.org reviews out of linked-data trees, whichever syntax and shape the site chose.

JSON-LD, microdata (extruct's uniform output) and RDFa (extruct's expanded JSON-LD) describe the same graph in
different shapes: nested objects, flat ``@graph`` lists joined by ``@id`` references, full IRIs as keys,
``[{"@value": ...}]`` wrappers. Everything is first reduced to one shape (local schema.org names, references
resolved on demand), then each Review is paired with the thing it reviews: its ``itemReviewed``, else the node
whose ``review`` property holds it, else the nearest enclosing node.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from gleaner.extract.language import language_tag

REVIEW_TYPES = frozenset({"Review", "UserReview", "CriticReview", "EmployerReview"})
AGGREGATE_TYPES = frozenset({"AggregateRating"})
PRODUCT_KEYS = ("sku", "gtin13", "gtin14", "gtin12", "gtin8", "gtin", "mpn", "productID")
_ITEM_KEYS = (*PRODUCT_KEYS, "isbn", "@id", "url", "name")
_REVIEW_PROPS = ("review", "reviews")
_CONTAINERS, _LITERALS = (list, dict), (str, int, float)  # isinstance with a tuple: `list | dict` is built per call


@lru_cache(maxsize=4096)  # a page's keys are a few names over and over
def local_name(key: str) -> str:
    """The full IRI, the prefixed and the bare spelling of a schema.org property are one property."""
    if key.startswith("@"):
        return key
    if "schema.org/" in key:
        return key.split("schema.org/", 1)[1].strip("/#")
    if ":" in key and not key.startswith(("http:", "https:")):
        return key.rsplit(":", 1)[1]
    return key


def _type_names(value: Any) -> list[str]:
    """A node's ``@type`` (or ``type``) as a list of local names, whatever the site wrote: every compacted
    node's "@type" is a list (`_typed` relies on it)."""
    return [local_name(str(t)) for t in (value if isinstance(value, list) else [value]) if t is not None]


def compact(value: Any) -> Any:
    if isinstance(value, list):
        return [compact(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = local_name(str(key))
        if name in ("@type", "type"):
            out["@type"] = _type_names(item)
        else:
            out[name] = compact(item) if isinstance(item, _CONTAINERS) else item
    return out


def types_of(node: dict[str, Any]) -> set[str]:
    return set(node.get("@type") or [])


def _typed(node: dict[str, Any]) -> bool:
    """`types_of(node)` is not empty (a compacted node's "@type" is always a list), without making the set."""
    return bool(node.get("@type"))


def first(value: Any) -> Any:
    while isinstance(value, list):
        value = value[0] if value else None
    return value


def is_blank(identifier: Any) -> bool:
    return not isinstance(identifier, str) or not identifier.strip() or identifier.startswith("_:")


def _is_reference(node: dict[str, Any]) -> bool:
    return len(node) == 1 and "@id" in node


@dataclass
class Graph:
    """Every node of one syntax's data on a page, in document order, with an index by ``@id``."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    parents: dict[int, dict[str, Any]] = field(default_factory=dict)
    origins: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, *roots: Any) -> Graph:
        """One graph over several roots (a page's JSON-LD blocks reference each other by ``@id``);
        `origins` remembers which root each node came from."""
        graph = cls()
        for index, data in enumerate(roots):
            graph._take(data, None, index)
        return graph

    def _take(self, value: Any, parent: dict[str, Any] | None, origin: int) -> Any:
        """`compact(value)`, collecting its nodes on the way: each node that is neither a literal
        (``@value``) nor a bare reference, in document order (a node before what it holds), with its
        enclosing typed node and its origin, and the fullest node of each ``@id``. One walk, where
        compacting and then walking the copy took two."""
        if isinstance(value, list):
            return [self._take(item, parent, origin) for item in value]
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        nested: dict[str, Any] = {}  # the names whose (last) value holds more, compacted once `out` is known
        for key, item in value.items():
            name = local_name(str(key))
            if name in ("@type", "type"):
                out["@type"] = _type_names(item)
            elif isinstance(item, _CONTAINERS):
                out[name] = nested[name] = item
            else:
                out[name] = item
                nested.pop(name, None)
        if "@value" in out:  # a literal: no node in it
            for name, item in nested.items():
                out[name] = compact(item)
            return out
        owner = self.add(out, parent, origin)
        for name in out:  # in `out`'s order (a name's first place), each name's last value
            if name in nested:
                item = nested[name]
                out[name] = compact(item) if name in ("@context", "@id") else self._take(item, owner, origin)
        return out

    def add(self, node: dict[str, Any], parent: dict[str, Any] | None, origin: int) -> dict[str, Any] | None:
        """Take a compacted node (unless it is a bare reference) with its enclosing typed node and origin, and
        keep the fullest node of each ``@id``; the typed node what it holds belongs to."""
        typed = _typed(node)
        if not _is_reference(node):
            self.nodes.append(node)
            self.origins[id(node)] = origin
            if parent is not None and typed:
                self.parents.setdefault(id(node), parent)
            identifier = node.get("@id")
            if isinstance(identifier, str) and identifier:
                known = self.by_id.get(identifier)
                if known is None or len(node) > len(known):
                    self.by_id[identifier] = node
        return node if typed else parent

    def resolve(self, value: Any) -> Any:
        value = first(value)
        if isinstance(value, dict) and _is_reference(value):
            return self.by_id.get(value["@id"], value)
        return value

    def reviews(self) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
        """(review, reviewed item) for each distinct Review node, in document order."""
        owners: dict[int, dict[str, Any]] = {}
        for node in self.nodes:
            for prop in _REVIEW_PROPS:
                items = node.get(prop)
                if items is None:
                    continue
                for item in items if isinstance(items, list) else [items]:
                    target = self.resolve(item)
                    if isinstance(target, dict):
                        owners.setdefault(id(target), node)
        seen: set[int] = set()
        for node in self.nodes:  # full nodes only: two reviews a site gave one @id stay two reviews
            # a value of a `review` property is a Review even when the site left out its @type
            types = node.get("@type")
            is_review = (not REVIEW_TYPES.isdisjoint(types)) if types else id(node) in owners
            if id(node) in seen or not is_review:
                continue
            seen.add(id(node))
            item = self.resolve(node.get("itemReviewed"))
            if isinstance(item, _LITERALS):
                item = {"name": str(item)}
            if not isinstance(item, dict) or _is_reference(item):
                item = owners.get(id(node)) or self.parents.get(id(node))
            yield node, item

    def aggregate_ratings(self) -> int:
        return sum(1 for n in self.nodes if types_of(n) & AGGREGATE_TYPES or "aggregateRating" in n)


def scalar(value: Any) -> Any:
    """A plain value out of a literal, a list of them, or a node that stands for one (name, value)."""
    value = first(value)
    if isinstance(value, dict):
        for key in ("@value", "value", "name", "alternateName", "@id"):
            if key in value and not isinstance(value[key], _CONTAINERS):
                return value[key]
            if key in value:
                return scalar(value[key])
        return None
    return value


def text_of(value: Any) -> str | None:
    value = scalar(value)
    return None if value is None else str(value)


def _names(graph: Graph, value: Any) -> str | None:
    items = value if isinstance(value, list) else [value]
    names = [name for item in items if (name := text_of(graph.resolve(item)))]
    return ", ".join(dict.fromkeys(names)) or None


def review_id(review: dict[str, Any]) -> str | None:
    identifier = review.get("@id")
    if not is_blank(identifier):
        return identifier
    for key in ("identifier", "url"):
        if (value := text_of(review.get(key))) is not None and value.strip():
            return value.strip()
    return None


def item_id(item: dict[str, Any] | None, keys: tuple[str, ...] = _ITEM_KEYS) -> str | None:
    """The first of `keys` the item has: an identifier, else (by default) its address or name."""
    if not item:
        return None
    for key in keys:
        value = text_of(item.get(key))
        if value is not None and value.strip() and not (key == "@id" and is_blank(value)):
            return value.strip()
    return None


def _language(graph: Graph, review: dict[str, Any], body: Any) -> str | None:
    body = first(body)
    if isinstance(body, dict) and (tag := language_tag(body.get("@language"))):
        return tag
    return language_tag(text_of(graph.resolve(review.get("inLanguage"))))


def review_candidate(graph: Graph, review: dict[str, Any], item: dict[str, Any] | None) -> dict[str, Any]:
    """A loose candidate in the shape every extractor produces; nothing is validated here."""
    body = review.get("reviewBody")
    if body is None:
        body = review.get("description") if review.get("description") is not None else review.get("text")
    rating = graph.resolve(review.get("reviewRating"))
    if not isinstance(rating, dict):
        rating = {"ratingValue": rating if rating is not None else review.get("ratingValue")}
    return {
        "review_id": review_id(review),
        "product_id": item_id(item),
        "text": text_of(body),
        "rating_value": scalar(rating.get("ratingValue")),
        "best_rating": scalar(rating.get("bestRating")),
        "worst_rating": scalar(rating.get("worstRating")),
        "author": _names(graph, review.get("author") or review.get("creator")),
        "published": text_of(review.get("datePublished") or review.get("dateCreated")),
        "language": _language(graph, review, body),
    }
