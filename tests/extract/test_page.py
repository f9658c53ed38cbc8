from datetime import UTC, datetime

import pytest

from gleaner.extract.page import ExtractionSpec, extract_page
from gleaner.pages import FetchedPage
from gleaner.sources import load_sources

WHEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DEMO = ExtractionSpec.of(load_sources()["acme"])  # the demo shops' selectors, as configured in sources.yaml


def page(html, status=200, error=None, url="http://shop.test/p/1"):
    return FetchedPage.of(source="acme", url=url, status=status, html=html, error=error, fetched_at=WHEN)


def review(rid, rating, text):
    return (
        f'<article class="review" data-review-id="{rid}"><span class="rating" data-rating="{rating}"></span>'
        f'<p class="review-text">{text}</p><span class="author">Ann</span><time datetime="2026-11-02"></time>'
        "</article>"
    )


PRODUCT = '<html lang="en"><h1 class="product-name" data-product-id="p1">Kettle</h1><div id="reviews">{}</div>'


def test_rendered_reviews_become_records_and_bad_ones_become_failures():
    html = PRODUCT.format(review("r1", 5, "Boils fast and quiet.") + review("r2", 7, "Too good") + review("r3", 2, ""))
    result = extract_page(page(html), DEMO)
    assert result.outcome == "yielded"
    assert [r.review_id for r in result.records] == ["p1#r1"]  # a 2-character id is qualified by the product
    assert result.records[0].language == "en" and result.records[0].word_count == 4
    reasons = " ".join(f["reason"] for f in result.failures)
    assert "rating 7 is outside 1-5" in reasons and "text" in reasons
    assert {f["stage"] for f in result.failures} == {"validate"}


def test_record_id_is_stable_across_page_variants():
    html = PRODUCT.format(review("r1", 4, "Solid kettle."))
    a = extract_page(page(html, url="http://shop.test/p/1"), DEMO).records[0]
    b = extract_page(page(html, url="http://shop.test/p/1?x=2"), DEMO).records[0]
    assert a.record_id == b.record_id


def test_fetch_failures_and_http_errors_are_failed_pages():
    assert extract_page(page(None, status=None, error="timeout"), DEMO).outcome == "failed"
    result = extract_page(page("<html>oops</html>", status=500), DEMO)
    assert result.outcome == "failed" and result.failures[0]["reason"] == "http 500"


def test_listing_page_has_no_records_with_a_reason():
    result = extract_page(page("<html><a href='/p/1'>x</a></html>"), DEMO)
    assert result.outcome == "no_records" and result.reason


def test_schema_org_reviews_from_json_ld_graph_and_broken_blocks():
    ld = """{"@context": "https://schema.org", "@graph": [{"@type": "Product", "sku": "K-1", "review": [
      {"@type": "Review", "reviewBody": "Great kettle, quick.", "author": {"@type": "Person", "name": "Bo"},
       "reviewRating": {"@type": "Rating", "ratingValue": "8", "bestRating": "10"}},
      {"@type": "Review", "reviewBody": "Meh", "reviewRating": {"ratingValue": 7, "bestRating": 5}}]}]}"""
    html = (
        f'<html><script type="application/ld+json">{ld}</script>'
        '<script type="application/ld+json">{"@type": "Review", "reviewBody": "x",}</script></html>'
    )
    result = extract_page(page(html), "schema_org_reviews")
    assert result.outcome == "yielded"
    [record] = result.records
    assert record.product_id == "K-1" and record.rating == 4.2 and record.rating_scale == 10 and record.author == "Bo"
    reasons = [f["reason"] for f in result.failures]
    assert any("rating 7 is outside" in r for r in reasons)
    # the second block's trailing comma is repaired, so its (ratingless) review is judged, not lost
    assert any(r == "rating is missing" for r in reasons)


def test_hostile_markup_never_raises():
    for html in ["", "<<<>>>", "<html><body><div></span></p>", "\x00\x01garbage", "<script>" * 50]:
        result = extract_page(page(html), DEMO)
        assert result.outcome in {"no_records", "failed"}


def test_demo_selectors_come_from_config_and_fall_back_to_json_ld():
    ld = (
        '{"@type": "Product", "sku": "p9", "review": [{"@type": "Review", "identifier": "acme-p09-r01", '
        '"reviewBody": "Loaded from JSON-LD.", "reviewRating": {"ratingValue": 4, "bestRating": 5}}]}'
    )
    html = f'<html lang="en"><script type="application/ld+json">{ld}</script><div id="reviews">failed</div></html>'
    [record] = extract_page(page(html), DEMO).records
    assert record.extraction == "json-ld" and record.review_id == "acme-p09-r01"


def test_unknown_extractor_name_is_refused():
    with pytest.raises(ValueError, match="unknown extractor 'demo_shop'"):
        extract_page(page("<html></html>"), "demo_shop")
