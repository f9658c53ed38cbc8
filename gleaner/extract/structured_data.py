"""schema.org data from a page's JSON-LD, microdata and RDFa, whatever the site: its reviews, its products.

The page is parsed once, by lexbor (`gleaner.extract.html_tree`). Microdata is read from that parse by
extruct's rules (`gleaner.extract.microdata`), RDFa by `extruct` itself (which parses the page its own,
XML-flavoured way), and only on pages where an element has ``itemscope`` / ``typeof``. JSON-LD blocks are
read here, one by one, with the lenient parser in `jsonld_repair` rather than extruct's: extruct drops every
block of a page when one is invalid, while a broken block here is reported alone (with its text) and a
repairable one still counts, its repairs noted on the records it yields. A syntax whose parser fails on
hostile markup is reported and the others still count. `parse_structured_data` gives each syntax's graph;
the review and product extractors read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from gleaner.extract.html_tree import marked_elements, parse_html
from gleaner.extract.jsonld_repair import JsonLdError, parse_json_ld
from gleaner.extract.linked_data import Graph, review_candidate

_REVIEW_HINTS = ("review", "ratingvalue")


@dataclass(frozen=True)
class SyntaxGraph:
    """One syntax's data on a page; `notes[i]` is what had to be repaired in the block node origin i came from."""

    syntax: str
    graph: Graph
    notes: list[list[str]] = field(default_factory=list)

    def notes_of(self, node: dict[str, Any]) -> list[str]:
        origin = self.graph.origins.get(id(node), 0)
        return list(self.notes[origin]) if origin < len(self.notes) else []


@dataclass(frozen=True)
class StructuredError:
    syntax: str
    reason: str
    block: str  # the offending JSON-LD text; "" when a whole syntax's parser failed

    def hints_at(self, hints: tuple[str, ...], html: str) -> bool:
        """Whether what could not be read looked like it held one of `hints` (the page's HTML when no block)."""
        return any(hint in (self.block or html).lower() for hint in hints)


@dataclass
class StructuredData:
    graphs: list[SyntaxGraph] = field(default_factory=list)
    errors: list[StructuredError] = field(default_factory=list)


def _json_ld(blocks: list[str], found: StructuredData) -> None:
    roots: list[Any] = []
    repairs: list[list[str]] = []
    for index, block in enumerate(blocks):
        try:
            data, repaired = parse_json_ld(block)
        except JsonLdError as exc:
            found.errors.append(StructuredError("json-ld", f"invalid JSON-LD block {index}: {exc}", block))
            continue
        roots.append(data)
        repairs.append([f"JSON-LD block {index} repaired: {', '.join(repaired)}"] if repaired else [])
    found.graphs.append(SyntaxGraph("json-ld", Graph.of(*roots), repairs))


def _extruct(source: str | Any, html: str, url: str, syntax: str, found: StructuredData) -> None:
    """`source` is the page's parsed tree (microdata) or its HTML (RDFa, which extruct parses its own way)."""
    import extruct  # half a second of imports (rdflib, mf2py, bs4): only for a page with microdata or RDFa

    try:
        data = extruct.extract(source, base_url=url, encoding="UTF-8", syntaxes=[syntax], uniform=True, errors="strict")
    except Exception as exc:  # extruct raises whatever lxml or rdflib raise on hostile markup
        found.errors.append(StructuredError(syntax, f"{syntax} unreadable: {type(exc).__name__}: {exc}"[:500], ""))
        return
    found.graphs.append(SyntaxGraph(syntax, Graph.of(data.get(syntax, []))))


def _microdata(tree: LexborHTMLParser, items: list[Any], url: str, found: StructuredData) -> None:
    """extruct's microdata from the page's own parse, by `gleaner.extract.microdata` (same items)."""
    from gleaner.extract.microdata import microdata  # imports extruct: only for a page with microdata

    try:
        data = microdata(tree, url, items)
    except Exception as exc:  # what extruct raises on hostile markup, reported as `_extruct` reports it
        found.errors.append(
            StructuredError("microdata", f"microdata unreadable: {type(exc).__name__}: {exc}"[:500], "")
        )
        return
    if data is not None:  # None: no element has itemscope after all (the word was in text or a script)
        found.graphs.append(SyntaxGraph("microdata", Graph.of(data)))


def parse_structured_data(html: str, url: str, tree: LexborHTMLParser | None = None) -> StructuredData:
    """Each syntax the page uses as one graph (JSON-LD always, microdata and RDFa when present), plus what
    could not be read. `tree`: the page's `parse_html`, when the caller has it."""
    tree = tree if tree is not None else parse_html(html)
    marked = marked_elements(tree)
    found = StructuredData()
    _json_ld(marked.json_ld, found)
    if marked.items:
        _microdata(tree, marked.items, url, found)  # the page's one parse, not a second
    if marked.rdfa:
        _extruct(html.encode("utf-8", errors="surrogatepass"), html, url, "rdfa", found)
    return found


@dataclass
class StructuredReviews:
    """Candidates (each tagged with its ``syntax`` and any ``notes``), plus what could not be read."""

    reviews: list[dict[str, Any]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (reason, offending text)
    aggregate_ratings: int = 0
    unreadable_reviews: bool = False  # an unreadable block or syntax that looked like it held reviews


def extract_structured_reviews(html: str, url: str, tree: LexborHTMLParser | None = None) -> StructuredReviews:
    """Every schema.org Review on the page, as loose candidates for the pydantic model to judge."""
    data = parse_structured_data(html, url, tree)
    found = StructuredReviews(errors=[(e.reason, e.block) for e in data.errors])
    found.unreadable_reviews = any(e.hints_at(_REVIEW_HINTS if e.block else ("review",), html) for e in data.errors)
    for part in data.graphs:
        found.aggregate_ratings += part.graph.aggregate_ratings()
        for review, item in part.graph.reviews():
            candidate = review_candidate(part.graph, review, item)
            candidate["syntax"] = part.syntax
            candidate["notes"] = part.notes_of(review)
            found.reviews.append(candidate)
    return found
