"""Product pages to `ProductPage` records: the demo shops' pages, broken markup, pages that are no product."""

import io
from datetime import UTC, datetime

import polars as pl
import pytest

from gleaner.demo_site import build_site
from gleaner.demo_site.catalog import CATALOG
from gleaner.drops import RAW_SCHEMA
from gleaner.extract import FAILED_SCHEMA, PRODUCT_PAGE_SCHEMA, extract_product_page, extract_product_pages
from gleaner.pages import FetchedPage
from gleaner.schemas import stable_record_id

WHEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:8765"


def page(html, url="http://shop.test/p/1", status=200, error=None):
    return FetchedPage.of(source="acme", url=url, status=status, html=html, error=error, fetched_at=WHEN)


def frame(pages: list[FetchedPage]) -> pl.DataFrame:
    return pl.DataFrame([{"drop_id": "d1", **p.to_row()} for p in pages], schema=RAW_SCHEMA, orient="row")


def demo_pages(shop: str) -> list[FetchedPage]:
    """The shop's HTML pages as a plain-HTTP crawl stores them (robots-disallowed and redirects left out)."""
    site = build_site()
    served = []
    for path, served_page in sorted(site.pages.items()):
        if not path.startswith(f"/{shop}/") or "/private/" in path or "text/html" not in served_page.content_type:
            continue
        codec = "cp1252" if "windows-1252" in served_page.content_type else "utf-8"
        html = served_page.body.decode(codec)
        served.append(page(html, f"{BASE}{path}", served_page.status, None))
    return served


@pytest.mark.parametrize("shop", ["acme", "globex"])
def test_demo_product_pages_give_one_record_each_with_the_catalogue_title(shop):
    pages = demo_pages(shop)
    result = extract_product_pages(frame(pages), shop)
    counts = result.batch.counts()
    assert result.reconciles and counts["pages_in"] == len(pages)
    live = [spec for spec in CATALOG[shop] if spec.quirk != "http_500"]
    expected = sorted(
        (
            stable_record_id(shop, s.product_id),
            s.product_id,
            s.name,
            s.description,
            f"{BASE}/{shop}/product/{s.product_id}",
        )
        for s in live
    )
    got = result.records.select("record_id", "product_id", "title", "description", "page_url").rows()
    assert sorted(got) == expected
    assert counts["pages_yielded"] == len(live) and counts["records"] == len(live)
    assert set(result.batch.no_record_reasons) == {"no schema.org Product and no og:type product (not a product page)"}
    failed = result.failures.select("stage", "reason").rows()
    assert failed == ([("fetch", "http 500")] if shop == "acme" else [])
    assert result.records.schema == pl.Schema(PRODUCT_PAGE_SCHEMA)


def test_the_repaired_json_ld_block_still_gives_its_product_with_a_note():
    (rice_cooker,) = [p for p in demo_pages("acme") if p.url.endswith("/product/p09")]
    result = extract_product_page(rice_cooker)
    assert result.outcome == "yielded" and result.records[0].title == "Acme Rice Cooker Duo 1.8L White"
    assert result.records[0].product_id == "p09"
    assert any("repaired" in note for note in result.notes)


def test_same_rows_and_bytes_whatever_order_the_pages_came_in():
    pages = demo_pages("globex")

    def parquet(rows: list[FetchedPage]) -> tuple[bytes, bytes]:
        result = extract_product_pages(frame(rows), "globex")
        out = []
        for table in (result.records, result.failures):
            buffer = io.BytesIO()
            table.write_parquet(buffer)
            out.append(buffer.getvalue())
        return out[0], out[1]

    assert parquet(pages) == parquet(list(reversed(pages)))


BROKEN = '<script type="application/ld+json">{"@type": "Product", "name": "Kettle" "sku": </script>'


def test_broken_json_ld_on_a_page_that_says_it_is_a_product_falls_back_to_og_title():
    html = (
        '<html><head><meta property="og:type" content="product"><meta property="og:title" content="Acme Kettle 1.7L">'
        f"{BROKEN}</head><body><h1>Kettle</h1></body></html>"
    )
    result = extract_product_page(page(html))
    assert result.outcome == "yielded"
    (record,) = result.records
    assert (record.title, record.product_id) == ("Acme Kettle 1.7L", "http://shop.test/p/1")
    assert record.record_id == stable_record_id("acme", "http://shop.test/p/1")
    assert [f["stage"] for f in result.failures] == ["extract"]
    assert result.failures[0]["reason"].startswith("invalid JSON-LD block 0")
    assert "no schema.org Product: title from og:title" in result.notes


def test_broken_product_markup_and_nothing_else_is_a_failed_page():
    result = extract_product_page(page(f"<html><head>{BROKEN}</head><body><h1>Kettle</h1></body></html>"))
    assert result.outcome == "failed" and result.reason.startswith("product markup unreadable: invalid JSON-LD")
    assert [f["stage"] for f in result.failures] == ["extract"]


def test_pages_without_a_product_have_no_records_with_a_reason():
    listing = '<html><head><meta property="og:title" content="All products"></head><body><h1>All products</h1>'
    listing += '<ul><li><a href="/p/1">Kettle</a></li></ul></body></html>'
    breadcrumbs = '<script type="application/ld+json">{"@type": "BreadcrumbList", "itemListElement": []}</script>'
    for html in (listing, f"<html><head>{breadcrumbs}</head><body><h1>Shop</h1></body></html>"):
        result = extract_product_page(page(html))
        assert result.outcome == "no_records" and "not a product page" in result.reason
        assert result.records == [] and result.failures == []


def test_microdata_product_and_the_h1_fallback():
    microdata = (
        '<html><body><div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Globex Speaker</h1>'
        '<meta itemprop="gtin13" content="4006381333931"><p itemprop="description">Loud.</p></div></body></html>'
    )
    (record,) = extract_product_page(page(microdata)).records
    assert (record.title, record.product_id, record.description) == ("Globex Speaker", "4006381333931", "Loud.")
    h1 = '<html><head><meta property="og:type" content="product"></head><body><h1> Acme <b>Kettle</b> </h1></body>'
    result = extract_product_page(page(h1))
    assert (
        result.records[0].title == "Acme Kettle" and "no schema.org Product: title from the first <h1>" in result.notes
    )


def test_a_product_without_a_title_is_a_failed_row_naming_the_field():
    html = '<html><head><meta property="og:type" content="product"></head><body><p>no heading</p></body></html>'
    result = extract_product_page(page(html))
    assert result.outcome == "failed" and result.records == []
    (failure,) = result.failures
    assert failure["stage"] == "validate" and failure["reason"].startswith("title: ")


def test_the_same_product_under_two_urls_is_kept_once():
    html = '<script type="application/ld+json">{"@type": "Product", "name": "Kettle", "sku": "K-1"}</script>'
    result = extract_product_pages(frame([page(html, "http://shop.test/a"), page(html, "http://shop.test/b")]), "acme")
    assert result.records["page_url"].to_list() == ["http://shop.test/a"] and result.reconciles
    (failure,) = result.failures.rows(named=True)
    assert (
        failure["offending"] == "K-1" and "the same product already came from http://shop.test/a" in failure["reason"]
    )


def test_fetch_failures_and_an_empty_partition():
    failed = extract_product_pages(frame([page(None, status=None, error="timeout")]), "acme")
    assert failed.failures.select("stage", "reason").rows() == [("fetch", "timeout")] and failed.reconciles
    empty = extract_product_pages(pl.DataFrame(schema=RAW_SCHEMA), "acme")
    assert empty.records.height == 0 and empty.failures.height == 0 and empty.reconciles
    assert empty.records.schema == pl.Schema(PRODUCT_PAGE_SCHEMA) and empty.failures.schema == pl.Schema(FAILED_SCHEMA)
    assert set(empty.batch.counts().values()) == {0}
