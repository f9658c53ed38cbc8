"""schema.org reviews from JSON-LD and microdata, whatever the site.

JSON-LD blocks are parsed one by one so a single broken block is reported and the others still count;
microdata goes through `extruct`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import extruct
from parsel import Selector

_LD_JSON = "script[type='application/ld+json']::text"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass
class StructuredReviews:
    reviews: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type") or node.get("type") or []
    values = raw if isinstance(raw, list) else [raw]
    return {str(v).rsplit("/", 1)[-1] for v in values}


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _text(value: Any) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return None if value is None else str(value)


def _walk(node: Any, product: dict[str, Any] | None = None) -> Iterator[tuple[dict[str, Any], dict | None]]:
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, product)
        return
    if not isinstance(node, dict):
        return
    if "properties" in node and isinstance(node["properties"], dict):  # extruct's non-uniform microdata
        node = {"@type": node.get("type"), **node["properties"]}
    types = _types(node)
    if "Product" in types:
        product = node
    if "Review" in types:
        yield node, product
    for key, value in node.items():
        if key not in ("@context", "@type", "type") and isinstance(value, dict | list):
            yield from _walk(value, product)


def _as_candidate(review: dict[str, Any], product: dict[str, Any] | None) -> dict[str, Any]:
    rating = review.get("reviewRating")
    rating = _first(rating) if isinstance(rating, list) else rating
    rating = rating if isinstance(rating, dict) else {"ratingValue": rating}
    product = product or _first(review.get("itemReviewed")) or {}
    product = product if isinstance(product, dict) else {"name": product}
    return {
        "review_id": _text(review.get("@id") or review.get("identifier")),
        "product_id": _text(
            product.get("sku") or product.get("productID") or product.get("@id") or product.get("name")
        ),
        "text": _text(review.get("reviewBody") or review.get("description")),
        "rating_value": rating.get("ratingValue"),
        "best_rating": rating.get("bestRating"),
        "worst_rating": rating.get("worstRating"),
        "author": _text(review.get("author")),
        "published": _text(review.get("datePublished")),
        "language": _text(review.get("inLanguage")),
    }


def extract_structured_reviews(html: str, url: str) -> StructuredReviews:
    """Every schema.org Review on the page, as loose candidates for the pydantic model to judge."""
    found = StructuredReviews()
    selector = Selector(text=html)
    for index, block in enumerate(selector.css(_LD_JSON).getall()):
        try:
            data = json.loads(_CONTROL.sub(" ", block), strict=False)
        except json.JSONDecodeError as exc:
            found.errors.append(f"invalid JSON-LD block {index}: {exc.msg} at line {exc.lineno}")
            continue
        found.reviews.extend(_as_candidate(r, p) for r, p in _walk(data))
    try:
        micro = extruct.extract(html, base_url=url, syntaxes=["microdata"], errors="strict")
    except Exception as exc:  # extruct raises whatever lxml raises on hostile markup
        found.errors.append(f"microdata unreadable: {type(exc).__name__}: {exc}")
    else:
        found.reviews.extend(_as_candidate(r, p) for r, p in _walk(micro.get("microdata", [])))
    return found
