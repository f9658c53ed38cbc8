"""Product pages to `ProductPage` records: one per page, for datasets over product titles (named entities).

The product is the page's schema.org Product (JSON-LD, microdata or RDFa, read by `structured_data`): its
`name` is the title, its `description` the description, its sku/GTIN/mpn/productID the product id (else
the page's canonical URL). A page without a readable Product that says it is one (`og:type` product) falls
back to `og:title`, then the first `<h1>`. Anything else (a listing, an about page) has no records, with
the reason. Every page ends in one outcome, as in review extraction, so the counts reconcile; a record that
fails the model is a failure row naming each field, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
from parsel import Selector

from gleaner.extract.batch import extract_batch, failures_frame
from gleaner.extract.linked_data import PRODUCT_KEYS, item_id, text_of, types_of
from gleaner.extract.page import PageExtraction, failed_page, failure_row, has_surrogate, storable, unusable_page
from gleaner.extract.partition import PartitionExtraction, stored_pages
from gleaner.extract.structured_data import StructuredData, parse_structured_data
from gleaner.extract.text_clean import clean_text
from gleaner.pages import FetchedPage
from gleaner.schemas import ProductPage, stable_record_id, validate_candidate
from gleaner.sources import SourceConfig

PRODUCT_PAGE_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String(),
    "product_id": pl.String(),
    "source": pl.String(),
    "page_url": pl.String(),
    "scraped_at": pl.Datetime("us", "UTC"),
    "title": pl.String(),
    "description": pl.String(),
}
PRODUCT_TYPES = frozenset({"Product", "ProductModel", "IndividualProduct", "ProductGroup", "SomeProducts"})
_PRODUCT_HINTS = ("product",)


def _main_product(data: StructuredData) -> tuple[dict[str, Any] | None, list[str]]:
    """The page's own product and the notes of the block it came from: the first top-level Product node
    (one nested in another node is a related item, a variant or a review's subject), else the first one."""
    found = [(part, node) for part in data.graphs for node in part.graph.nodes if types_of(node) & PRODUCT_TYPES]
    top = [(part, node) for part, node in found if id(node) not in part.graph.parents]
    for part, node in top or found:
        return node, part.notes_of(node)
    return None, []


def _page_meta(selector: Selector, query: str) -> str:
    return clean_text(selector.xpath(query).get())


def _fallback(selector: Selector) -> tuple[str, str | None, str] | None:
    """(title, description, note) from the page's own head and heading, when it declares itself a product."""
    og_type = _page_meta(selector, "//meta[@property='og:type']/@content").lower()
    if not og_type.startswith("product"):
        return None
    title = _page_meta(selector, "//meta[@property='og:title']/@content")
    note = "title from og:title"
    if not title:
        title = clean_text(" ".join(selector.xpath("(//h1)[1]//text()").getall()))
        note = "title from the first <h1>"
    description = _page_meta(selector, "//meta[@property='og:description']/@content") or None
    return title, description, f"no schema.org Product: {note}"


def _empty_reason(data: StructuredData, html: str) -> tuple[str, str]:
    unreadable = [e for e in data.errors if e.hints_at(_PRODUCT_HINTS, html)]
    if unreadable:
        return "failed", f"product markup unreadable: {unreadable[0].reason}"
    return "no_records", "no schema.org Product and no og:type product (not a product page)"


def _candidate(page: FetchedPage, product_id: str, title: str, description: str | None) -> dict[str, Any]:
    return {
        "record_id": stable_record_id(page.source, product_id),
        "product_id": product_id,
        "source": page.source,
        "page_url": page.url,
        "scraped_at": page.fetched_at,
        "title": title,
        "description": description,
    }


def _problems(candidate: dict[str, Any]) -> dict[str, str | None]:
    """What the model cannot say itself: text no Parquet file can hold."""
    return {
        name: f"{name} contains an unpaired surrogate (invalid Unicode): {storable(value)[:60]!r}"
        for name in ("product_id", "title", "description")
        if has_surrogate(value := candidate[name])
    }


def extract_product_page(page: FetchedPage) -> PageExtraction:
    """One `ProductPage` from a product page; never raises for anything a page can contain."""
    if (unusable := unusable_page(page)) is not None:
        return unusable
    html = page.html or ""
    try:
        selector = Selector(text=html, type="html")
        data = parse_structured_data(html, page.url)
        product, notes = _main_product(data)
        fallback = None if product is not None and text_of(product.get("name")) else _fallback(selector)
    except Exception as exc:  # a parser crash on hostile markup is a failed page, not a failed run
        return failed_page(page, "extract", f"unparseable page: {type(exc).__name__}: {exc}", html[:500])
    result = PageExtraction("no_records", "", notes=notes)
    result.failures.extend(failure_row(page, "extract", e.reason, e.block) for e in data.errors)
    if product is None and fallback is None:
        result.outcome, result.reason = _empty_reason(data, html)
        return result
    product_id = clean_text(item_id(product, PRODUCT_KEYS)) or page.url
    if fallback is not None:
        title, description, note = fallback
        result.notes.append(note)
    else:
        title, description = clean_text(text_of(product.get("name"))), clean_text(text_of(product.get("description")))
    candidate = _candidate(page, product_id, title, description or None)
    record, reason = validate_candidate(candidate, _problems(candidate), model=ProductPage)
    if record is None:
        result.failures.append(failure_row(page, "validate", reason or "invalid", candidate))
        result.outcome, result.reason = "failed", "the product record failed validation"
    else:
        result.records.append(record)
        result.outcome, result.reason = "yielded", "1 record"
    return result


def extract_product_pages(
    pages: pl.DataFrame, source: SourceConfig | str, on_page: Callable[[], None] = lambda: None
) -> PartitionExtraction:
    """A partition's `raw_pages` rows to product records (`PRODUCT_PAGE_SCHEMA`, by record_id) and failure
    rows (`FAILED_SCHEMA`); pages go in canonical-URL order, so a re-run gives the same bytes."""
    name = source if isinstance(source, str) else source.name
    pages_in_order = stored_pages(pages, name, on_page)
    batch = extract_batch(pages_in_order, None, extract=extract_product_page, schema=PRODUCT_PAGE_SCHEMA)
    return PartitionExtraction(batch, batch.records_frame(), failures_frame(batch.failures))
