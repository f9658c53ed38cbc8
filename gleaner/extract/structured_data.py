"""schema.org reviews from a page's JSON-LD, microdata and RDFa, whatever the site.

Microdata and RDFa go through `extruct`, and only on pages whose markup has ``itemscope`` / ``typeof``;
microdata is read from the page's own parse (RDFa needs extruct's XML-flavoured one). JSON-LD blocks are
read here, one by one, with the lenient parser in `jsonld_repair` rather than extruct's: extruct drops every
block of a page when one is invalid, while a broken block here is reported alone (with its text) and a
repairable one still counts, its repairs noted on the records it yields. A syntax whose parser fails on
hostile markup is reported and the others still count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import extruct
from parsel import Selector

from gleaner.extract.jsonld_repair import JsonLdError, parse_json_ld
from gleaner.extract.linked_data import Graph, review_candidate

_LD_JSON = (
    "//script[starts-with(normalize-space(translate(@type, 'APLICTONDJS', 'aplictondjs')), 'application/ld+json')]"
)
_REVIEW_HINTS = ("review", "ratingvalue")


@dataclass
class StructuredReviews:
    """Candidates (each tagged with its ``syntax`` and any ``notes``), plus what could not be read."""

    reviews: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (reason, offending text)
    aggregate_ratings: int = 0
    unreadable_reviews: bool = False  # an unreadable block or syntax that looked like it held reviews


def _json_ld(selector: Selector, found: StructuredReviews) -> None:
    roots: list[Any] = []
    repairs: list[list[str]] = []
    for index, script in enumerate(selector.xpath(_LD_JSON)):
        block = "".join(script.xpath("text()").getall())
        try:
            data, repaired = parse_json_ld(block)
        except JsonLdError as exc:
            found.errors.append((f"invalid JSON-LD block {index}: {exc}", block))
            found.unreadable_reviews |= any(hint in block.lower() for hint in _REVIEW_HINTS)
            continue
        roots.append(data)
        repairs.append([f"JSON-LD block {index} repaired: {', '.join(repaired)}"] if repaired else [])
    _collect(Graph.of(*roots), "json-ld", found, repairs)


def _extruct(source: str | Any, html: str, url: str, syntax: str, found: StructuredReviews) -> None:
    """`source` is the page's parsed tree (microdata) or its HTML (RDFa, which extruct parses its own way)."""
    try:
        data = extruct.extract(source, base_url=url, encoding="UTF-8", syntaxes=[syntax], uniform=True, errors="strict")
    except Exception as exc:  # extruct raises whatever lxml or rdflib raise on hostile markup
        found.errors.append((f"{syntax} unreadable: {type(exc).__name__}: {exc}"[:500], ""))
        found.unreadable_reviews |= "review" in html.lower()
        return
    _collect(Graph.of(data.get(syntax, [])), syntax, found, [])


def _collect(graph: Graph, syntax: str, found: StructuredReviews, notes: list[list[str]]) -> None:
    found.aggregate_ratings += graph.aggregate_ratings()
    for review, item in graph.reviews():
        candidate = review_candidate(graph, review, item)
        origin = graph.origins.get(id(review), 0)
        candidate["syntax"] = syntax
        candidate["notes"] = list(notes[origin]) if origin < len(notes) else []
        found.reviews.append(candidate)


def extract_structured_reviews(html: str, url: str, selector: Selector | None = None) -> StructuredReviews:
    """Every schema.org Review on the page, as loose candidates for the pydantic model to judge."""
    selector = selector if selector is not None else Selector(text=html, type="html")
    found = StructuredReviews()
    _json_ld(selector, found)
    lowered = html.lower()  # attribute names cannot hide behind entities: no mention, no such attribute
    if "itemscope" in lowered and selector.xpath("//*[@itemscope]"):
        _extruct(selector.root, html, url, "microdata", found)  # the page's one parse, not a second
    if "typeof" in lowered and selector.xpath("//*[@typeof]"):
        _extruct(html.encode("utf-8", errors="surrogatepass"), html, url, "rdfa", found)
    return found
