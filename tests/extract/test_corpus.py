"""The bad-input corpus: broken and awkward pages, each with the outcome it must have.

Every case is a page shape seen on real shops (or a way the fetch went wrong). A case names the page's
outcome, the records it must yield (a subset of fields each, in page order), a distinct substring for each
failure row it must produce (and no others), and notes its records must carry.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gleaner.extract.page import ExtractionSpec, PageExtraction, extract_page, extract_pages
from gleaner.extract.selectors import ReviewSelectors
from gleaner.pages import FetchedPage

WHEN = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
URL = "https://shop.test/p/kettle"
GERMAN = "Der Wasserkocher ist sehr leise und kocht das Wasser in weniger als drei Minuten."
FRENCH = "La bouilloire est très silencieuse et l'eau bout en moins de trois minutes."
SPANISH = "El hervidor es muy silencioso y hierve el agua en menos de tres minutos."
ENGLISH = "The kettle is very quiet and boils the water in less than three minutes."


def ld(data: Any = None, *, raw: str | None = None, kind: str = "application/ld+json") -> str:
    text = raw if raw is not None else json.dumps(data, ensure_ascii=False)
    return f'<script type="{kind}">{text}</script>'


def doc(*parts: str, lang: str | None = None, head: str = "") -> str:
    lang_attr = f' lang="{lang}"' if lang else ""
    return (
        f"<!DOCTYPE html><html{lang_attr}><head><title>Kettle</title>{head}</head><body>{''.join(parts)}</body></html>"
    )


def review(body: Any = "Boils fast and stays quiet.", rating: Any = 4, **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "Review", "author": {"@type": "Person", "name": "Ann"}}
    if body is not None:
        node["reviewBody"] = body
    if rating is not None:
        node["reviewRating"] = {"@type": "Rating", **(rating if isinstance(rating, dict) else {"ratingValue": rating})}
    return {**node, **extra}


def product(*reviews: dict[str, Any], sku: str | None = "K-1", **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"@context": "https://schema.org", "@type": "Product", "name": "Kettle"}
    if sku:
        node["sku"] = sku
    if reviews:
        node["review"] = list(reviews)
    return {**node, **extra}


MICRODATA_PRODUCT = """
<div itemscope itemtype="https://schema.org/Product">
  <h1 itemprop="name">Kettle</h1><meta itemprop="sku" content="K-1">
  <div itemprop="review" itemscope itemtype="https://schema.org/Review">
    <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Ann</span></span>
    <div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">
      <meta itemprop="ratingValue" content="4"><meta itemprop="bestRating" content="5">
    </div>
    <p itemprop="reviewBody">Boils fast &amp; stays   quiet.</p>
  </div>
</div>"""

RDFA_PRODUCT = """
<div vocab="https://schema.org/" typeof="Product" resource="#kettle">
  <span property="name">Kettle</span><span property="gtin13">4006381333931</span>
  <div property="review" typeof="Review">
    <span property="author" typeof="Person"><span property="name">Bo</span></span>
    <div property="reviewRating" typeof="Rating"><span property="ratingValue">8</span>
      <span property="bestRating">10</span></div>
    <p property="reviewBody">Solid, heavy and quick.</p>
  </div>
</div>"""

SHOP_SELECTORS = ReviewSelectors(
    review="li.rev",
    review_id="::attr(data-id)",
    text=".body",
    rating=".stars::attr(title)",
    author="xpath:.//*[@class='who']/text()",
    published="time::attr(datetime)",
    product_id="xpath://main/@data-sku",
)
SHOP_PAGE = """<main data-sku="SKU-9"><ul>
<li class="rev" data-id="rv-1001"><span class="stars" title="4.5 out of 5 stars"></span>
  <div class="body">Great <b>value</b>.<br>Would buy again.</div><span class="who">Cy</span>
  <time datetime="2026-10-01">1 Oct</time></li>
<li class="rev" data-id="rv-1002"><span class="stars" title="★★☆☆☆"></span>
  <div class="body">Lid broke after a week.</div><span class="who">Di</span></li>
<li class="rev" data-id="rv-1003"><span class="stars" title="no rating"></span>
  <div class="body">Arrived late.</div></li>
</ul></main>"""
BLOG_REVIEW = (
    "<nav>Home | Reviews | About</nav><article><h1>Acme kettle, three months in</h1>"
    "<p class='verdict'>Verdict: 8/10</p>"
    "<p>I have used this kettle every morning for three months. It boils a full litre in under three minutes, "
    "the lid never sticks and the handle stays cool enough to hold.</p>"
    "<p>The only downside is the short cable, which means it has to live right next to the socket.</p>"
    "</article><footer>Copyright 2026 Kettle Blog. All rights reserved.</footer>"
)


@dataclass
class Case:
    id: str
    html: str | None
    outcome: str
    records: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    spec: Any = "schema_org_reviews"
    status: int | None = 200
    error: str | None = None
    url: str = URL


CASES = [
    # ---- JSON-LD shapes
    Case(
        "flat-review-with-itemReviewed",
        doc(
            ld(
                review(
                    itemReviewed={"@type": "Product", "sku": "K-7", "name": "Kettle"},
                    **{"@context": "https://schema.org"},
                )
            )
        ),
        "yielded",
        [
            {
                "product_id": "K-7",
                "text": "Boils fast and stays quiet.",
                "rating": 4.0,
                "author": "Ann",
                "extraction": "json-ld",
            }
        ],
    ),
    Case(
        "product-review-array",
        doc(ld(product(review(rating=5), review("Too slow for me.", rating=2)))),
        "yielded",
        [{"product_id": "K-1", "rating": 5.0}, {"text": "Too slow for me.", "rating": 2.0}],
    ),
    Case(
        "product-review-single-object",
        doc(ld({**product(sku="K-2"), "review": review()})),
        "yielded",
        [{"product_id": "K-2"}],
    ),
    Case(
        "legacy-reviews-property",
        doc(ld({**product(sku="K-3"), "reviews": [review()]})),
        "yielded",
        [{"product_id": "K-3"}],
    ),
    Case(
        "graph-linked-by-id",
        doc(
            ld(
                {
                    "@context": "https://schema.org",
                    "@graph": [
                        {"@type": "WebPage", "@id": URL + "#page"},
                        {"@type": "Product", "@id": URL + "#product", "sku": "G-1", "review": [{"@id": "#r1"}]},
                        {**review("Linked through the graph."), "@id": "#r1"},
                    ],
                }
            )
        ),
        "yielded",
        [{"product_id": "G-1", "text": "Linked through the graph.", "review_id": "G-1#r1"}],
    ),
    Case(
        "graph-itemReviewed-reference-defined-later",
        doc(
            ld(
                {
                    "@context": "https://schema.org",
                    "@graph": [
                        review("Referenced product.", itemReviewed={"@id": "#prod"}),
                        {"@type": "Product", "@id": "#prod", "mpn": "MPN-55"},
                    ],
                }
            )
        ),
        "yielded",
        [{"product_id": "MPN-55"}],
    ),
    Case(
        "nested-graph-in-webpage-mainEntity",
        doc(ld({"@context": "https://schema.org", "@type": "WebPage", "mainEntity": product(review(), sku="N-1")})),
        "yielded",
        [{"product_id": "N-1"}],
    ),
    Case(
        "top-level-array-of-nodes",
        doc(ld([{"@type": "Organization", "name": "Shop"}, product(review(), sku="A-1")])),
        "yielded",
        [{"product_id": "A-1"}],
    ),
    Case(
        "type-spellings-iri-prefixed-and-list",
        doc(
            ld(
                {
                    "@context": {"schema": "https://schema.org/"},
                    "@type": "schema:Product",
                    "schema:sku": "T-1",
                    "schema:review": [
                        {
                            "@type": ["http://schema.org/Review", "UserReview"],
                            "http://schema.org/reviewBody": "Full IRIs everywhere.",
                            "schema:reviewRating": {"schema:ratingValue": "3"},
                        }
                    ],
                }
            )
        ),
        "yielded",
        [{"product_id": "T-1", "text": "Full IRIs everywhere.", "rating": 3.0}],
    ),
    Case(
        "review-without-type-inside-product-review",
        doc(ld(product({"reviewBody": "Untyped but in a review list.", "reviewRating": {"ratingValue": 5}}))),
        "yielded",
        [{"text": "Untyped but in a review list.", "product_id": "K-1"}],
    ),
    Case(
        "cross-block-reference",
        doc(
            ld({"@context": "https://schema.org", "@type": "Product", "@id": "#p", "sku": "X-1"}),
            ld(review("Review in its own block.", itemReviewed={"@id": "#p"}, **{"@context": "https://schema.org"})),
        ),
        "yielded",
        [{"product_id": "X-1"}],
    ),
    Case(
        "several-products-on-one-page",
        doc(ld([product(review("First product review."), sku="M-1"), product(review("Second one."), sku="M-2")])),
        "yielded",
        [{"product_id": "M-1"}, {"product_id": "M-2"}],
    ),
    Case(
        "product-identified-by-gtin-only",
        doc(ld(product(review(), sku=None, gtin13="4006381333931"))),
        "yielded",
        [{"product_id": "4006381333931"}],
    ),
    Case(
        "no-product-information-at-all",
        doc(ld(review(**{"@context": "https://schema.org"}))),
        "yielded",
        [{"product_id": URL}],
        notes=["product_id taken from the page url"],
    ),
    Case(
        "script-type-uppercase-with-charset",
        doc(ld(product(review()), kind="Application/LD+JSON; charset=utf-8")),
        "yielded",
        [{"product_id": "K-1"}],
    ),
    Case(
        "same-review-in-two-blocks",
        doc(ld(product(review(identifier="rev-777"))), ld(product(review(identifier="rev-777")))),
        "yielded",
        [{"review_id": "rev-777"}],
    ),
    # ---- ratings
    Case(
        "rating-0-10-scale",
        doc(ld(product(review(rating={"ratingValue": "8", "bestRating": "10"})))),
        "yielded",
        [{"rating": 4.2, "rating_scale": 10.0}],
    ),
    Case(
        "rating-0-100-no-best", doc(ld(product(review(rating=85)))), "yielded", [{"rating": 4.4, "rating_scale": 100.0}]
    ),
    Case(
        "rating-best-missing-5-scale",
        doc(ld(product(review(rating=3)))),
        "yielded",
        [{"rating": 3.0, "rating_scale": 5.0}],
    ),
    Case("rating-decimal-comma", doc(ld(product(review(rating="4,5")))), "yielded", [{"rating": 4.5}]),
    Case("rating-string-5.0", doc(ld(product(review(rating=" 5.0 ")))), "yielded", [{"rating": 5.0}]),
    Case(
        "rating-as-bare-number",
        doc(ld(product({"@type": "Review", "reviewBody": "Bare number rating.", "reviewRating": 2}))),
        "yielded",
        [{"rating": 2.0}],
    ),
    Case(
        "rating-on-review-itself",
        doc(ld(product({"@type": "Review", "reviewBody": "Rating on the review node.", "ratingValue": "4"}))),
        "yielded",
        [{"rating": 4.0}],
    ),
    Case(
        "rating-with-worst-zero-on-5",
        doc(ld(product(review(rating={"ratingValue": 0, "bestRating": 5, "worstRating": 0})))),
        "yielded",
        [{"rating": 1.0, "rating_scale": 5.0}],
    ),
    Case(
        "rating-above-scale",
        doc(ld(product(review(rating={"ratingValue": 7, "bestRating": 5})))),
        "failed",
        failures=["rating 7 is outside 1-5"],
        reason="every candidate record failed validation",
    ),
    Case(
        "rating-words", doc(ld(product(review(rating="five")))), "failed", failures=["rating is not a number: 'five'"]
    ),
    Case("rating-missing", doc(ld(product(review(rating=None)))), "failed", failures=["rating is missing"]),
    Case(
        "rating-best-not-above-worst",
        doc(ld(product(review(rating={"ratingValue": 3, "bestRating": 1, "worstRating": 5})))),
        "failed",
        failures=["bestRating 1 is not above worstRating 5"],
    ),
    Case("rating-boolean", doc(ld(product(review(rating=True)))), "failed", failures=["rating is a boolean"]),
    # ---- text
    Case(
        "review-without-text",
        doc(ld(product(review(body=None, name="Great!")))),
        "failed",
        failures=["text: review has no text"],
    ),
    Case(
        "review-text-only-nbsp-and-entities",
        doc(ld(product(review(body="&nbsp; &#160; ")))),
        "failed",
        failures=["text: review has no text"],
    ),
    Case(
        "description-instead-of-reviewBody",
        doc(ld(product(review(body=None, description="Said in description.")))),
        "yielded",
        [{"text": "Said in description."}],
    ),
    Case(
        "html-entities",
        doc(ld(product(review("Caf&eacute; &amp; tea, it&#39;s &quot;fine&quot;")))),
        "yielded",
        [{"text": 'Café & tea, it\'s "fine"'}],
    ),
    Case(
        "double-escaped-entities",
        doc(ld(product(review("Salt &amp;amp; pepper")))),
        "yielded",
        [{"text": "Salt & pepper"}],
    ),
    Case(
        "markup-inside-reviewBody",
        doc(ld(product(review("<p>Good kettle.<br/>Fast.</p><p>Quiet too.</p>")))),
        "yielded",
        [{"text": "Good kettle.\nFast.\nQuiet too.", "word_count": 5}],
    ),
    Case(
        "text-too-long",
        doc(ld(product(review("word " * 5000)))),
        "failed",
        failures=["text: String should have at most 20000 characters"],
    ),
    Case(
        "author-variants",
        doc(
            ld(
                product(
                    review("Author is a plain string.", author="Plain Name"),
                    review("Two authors.", author=[{"@type": "Person", "name": "A"}, {"name": "B"}]),
                    review("Organisation author.", author={"@type": "Organization", "name": "Test Lab &amp; Co"}),
                )
            )
        ),
        "yielded",
        [{"author": "Plain Name"}, {"author": "A, B"}, {"author": "Test Lab & Co"}],
    ),
    # ---- languages
    Case(
        "language-inLanguage-region",
        doc(ld(product(review(GERMAN, inLanguage="de-DE"))), lang="en"),
        "yielded",
        [{"language": "de"}],
    ),
    Case(
        "language-from-html-lang", doc(ld(product(review("Très bien."))), lang="fr-FR"), "yielded", [{"language": "fr"}]
    ),
    Case(
        "language-detected-when-page-silent",
        doc(ld(product(review(GERMAN)))),
        "yielded",
        [{"language": "de"}],
        notes=["language detected from text"],
    ),
    Case(
        "several-languages-one-page",
        doc(ld(product(review(GERMAN), review(FRENCH), review(SPANISH), review(ENGLISH)))),
        "yielded",
        [{"language": "de"}, {"language": "fr"}, {"language": "es"}, {"language": "en"}],
    ),
    Case(
        "short-review-inherits-the-pages-detected-language",
        doc(ld(product(review(GERMAN + " " + GERMAN), review("Sehr gut!")))),
        "yielded",
        [{"language": "de"}, {"language": "de"}],
        notes=["language detected from the page's reviews"],
    ),
    Case(
        "language-override-when-text-clearly-differs",
        doc(ld(product(review(GERMAN))), lang="en"),
        "yielded",
        [{"language": "de"}],
        notes=["page declares en, text detected as de"],
    ),
    Case(
        "language-on-value-object",
        doc(ld(product(review({"@value": "Ottimo bollitore.", "@language": "it"})))),
        "yielded",
        [{"language": "it", "text": "Ottimo bollitore."}],
    ),
    Case(
        "cjk-word-count",
        doc(ld(product(review("とても良い商品でした。"))), lang="ja"),
        "yielded",
        [{"language": "ja", "word_count": 10}],
    ),
    Case(
        "language-template-garbage",
        doc(ld(product(review("Fine."))), lang="{{ locale }}"),
        "yielded",
        [{"language": "und"}],
    ),
    # ---- invalid JSON-LD
    Case(
        "jsonld-trailing-commas",
        doc(
            ld(
                raw='{"@type": "Product", "sku": "TC", "review": [{"@type": "Review", '
                '"reviewBody": "Trailing.", "reviewRating": {"ratingValue": 4,},},],}'
            )
        ),
        "yielded",
        [{"product_id": "TC"}],
        notes=["JSON-LD block 0 repaired: removed trailing commas"],
    ),
    Case(
        "jsonld-comments",
        doc(
            ld(
                raw='// generated by ShopCMS\n{"@type": "Product", /* id */ "sku": "CM", '
                '"review": {"@type": "Review", "reviewBody": "Commented.", "reviewRating": 5}}'
            )
        ),
        "yielded",
        [{"product_id": "CM"}],
        notes=["removed // comments", "removed /* */ comments"],
    ),
    Case(
        "jsonld-control-characters",
        doc(
            ld(
                raw='{"@type": "Product", "sku": "CC", "review": {"@type": "Review", '
                '"reviewBody": "Line one\nline\ttwo\x07.", "reviewRating": 4}}'
            )
        ),
        "yielded",
        [{"text": "Line one\nline two ."}],
        notes=["escaped control characters in strings"],
    ),
    Case(
        "jsonld-html-comment-wrapper",
        doc(ld(raw="<!--\n" + json.dumps(product(review(), sku="HC")) + "\n-->")),
        "yielded",
        [{"product_id": "HC"}],
        notes=["removed <!-- --> / CDATA wrapper"],
    ),
    Case(
        "jsonld-cdata-wrapper",
        doc(ld(raw="//<![CDATA[\n" + json.dumps(product(review(), sku="CD")) + "\n//]]>")),
        "yielded",
        [{"product_id": "CD"}],
        notes=["CDATA wrapper"],
    ),
    Case(
        "jsonld-html-escaped",
        doc(ld(raw=json.dumps(product(review(), sku="HE")).replace('"', "&quot;"))),
        "yielded",
        [{"product_id": "HE"}],
        notes=["unescaped HTML-escaped JSON"],
    ),
    Case(
        "jsonld-concatenated-objects",
        doc(ld(raw=json.dumps(product(review(), sku="C1")) + "\n" + json.dumps(product(review("Other."), sku="C2")))),
        "yielded",
        [{"product_id": "C1"}, {"product_id": "C2"}],
        notes=["split 2 concatenated JSON values"],
    ),
    Case(
        "jsonld-invalid-escape",
        doc(
            ld(
                raw='{"@type": "Product", "sku": "IE", "review": {"@type": "Review", '
                '"reviewBody": "It\\\'s 50\\% off", "reviewRating": 4}}'
            )
        ),
        "yielded",
        [{"text": "It's 50\\% off"}],
        notes=["unescaped \\' in strings"],
    ),
    Case(
        "jsonld-single-quotes-unrepairable",
        doc(ld(raw="{'@type': 'Review', 'reviewBody': 'x', 'reviewRating': 4}")),
        "failed",
        failures=["invalid JSON-LD block 0: Expecting property name enclosed in double quotes"],
        reason="review markup unreadable",
    ),
    Case(
        "jsonld-truncated",
        doc(ld(raw=json.dumps(product(review()))[:-25])),
        "failed",
        failures=["invalid JSON-LD block 0"],
        reason="review markup unreadable",
    ),
    Case(
        "jsonld-broken-block-without-reviews",
        doc(ld(raw="{'@type': 'Organization', 'name': 'Shop'}")),
        "no_records",
        failures=["invalid JSON-LD block 0"],
        reason="no schema.org review markup",
    ),
    Case(
        "jsonld-broken-block-beside-good-one",
        doc(ld(raw="{'@type': 'BreadcrumbList',}"), ld(product(review()))),
        "yielded",
        [{"product_id": "K-1"}],
        failures=["invalid JSON-LD block 0"],
    ),
    Case("jsonld-empty-block", doc(ld(raw="   ")), "no_records", reason="no schema.org review markup"),
    Case("jsonld-scalar-value", doc(ld(raw='"just a string"')), "no_records", reason="no schema.org review markup"),
    Case(
        "jsonld-escaped-script-end",
        doc(ld(raw=json.dumps(product(review("Tags like </script> are markup, not text."))).replace("</", "<\\/"))),
        "yielded",
        [{"text": "Tags like are markup, not text."}],
    ),
    Case(
        "rating-printed-as-text-in-json-ld",
        doc(ld(product(review(rating="4.5 out of 5 stars")))),
        "yielded",
        [{"rating": 4.5, "rating_scale": 5.0}],
    ),
    Case(
        "review-of-a-local-business",
        doc(
            ld(
                review(
                    itemReviewed={"@type": "LocalBusiness", "name": "Café Zero"}, **{"@context": "https://schema.org"}
                )
            )
        ),
        "yielded",
        [{"product_id": "Café Zero"}],
    ),
    Case(
        "claim-review-is-not-a-product-review",
        doc(
            ld(
                {
                    "@context": "https://schema.org",
                    "@type": "ClaimReview",
                    "claimReviewed": "Kettles boil water",
                    "reviewRating": 5,
                }
            )
        ),
        "no_records",
        reason="no schema.org review markup",
    ),
    Case(
        "page-body-is-json",
        '{"reviews": [{"text": "API response stored as a page", "rating": 5}]}',
        "no_records",
        reason="no schema.org review markup",
    ),
    # ---- microdata, RDFa and duplicates across syntaxes
    Case(
        "microdata-product-review",
        doc(MICRODATA_PRODUCT),
        "yielded",
        [{"product_id": "K-1", "text": "Boils fast & stays quiet.", "author": "Ann", "extraction": "microdata"}],
    ),
    Case(
        "same-review-in-json-ld-and-microdata",
        doc(ld(product(review("Boils fast &amp; stays quiet."))), MICRODATA_PRODUCT),
        "yielded",
        [{"extraction": "json-ld", "text": "Boils fast & stays quiet."}],
    ),
    Case(
        "rdfa-product-review",
        doc(RDFA_PRODUCT),
        "yielded",
        [{"product_id": "4006381333931", "rating": 4.2, "author": "Bo", "extraction": "rdfa"}],
    ),
    Case(
        "xhtml-with-xml-declaration",
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="nl"><body>'
        + MICRODATA_PRODUCT.replace('<meta itemprop="sku" content="K-1">', '<meta itemprop="sku" content="K-1"/>')
        + "</body></html>",
        "yielded",
        [{"product_id": "K-1", "language": "nl"}],
    ),
    # ---- ids
    Case(
        "every-review-shares-the-page-url-as-id",
        doc(
            ld(
                product(
                    review("First distinct review.", **{"@id": URL}), review("Second distinct review.", **{"@id": URL})
                )
            )
        ),
        "yielded",
        [{"text": "First distinct review."}, {"text": "Second distinct review."}],
        notes=["is shared by different reviews on the page, so it was ignored"],
    ),
    Case(
        "weak-numeric-ids-qualified-by-product",
        doc(ld(product(review(identifier="1"), review("Another.", identifier="2"), sku="W-1"))),
        "yielded",
        [{"review_id": "W-1#1"}, {"review_id": "W-1#2"}],
    ),
    Case(
        "url-id-with-tracking-parameters",
        doc(ld(product(review(**{"@id": "https://shop.test/p/kettle?utm_source=mail#review-3"})))),
        "yielded",
        [{"review_id": "https://shop.test/p/kettle#review-3"}],
    ),
    Case(
        "identifier-as-property-value",
        doc(ld(product(review(identifier={"@type": "PropertyValue", "value": "pv-42"})))),
        "yielded",
        [{"review_id": "pv-42"}],
    ),
    # ---- pages without reviews, and pages that failed
    Case(
        "aggregate-rating-only",
        doc(ld(product(aggregateRating={"@type": "AggregateRating", "ratingValue": 4.4, "reviewCount": 12}))),
        "no_records",
        reason="aggregate rating only, no individual reviews",
    ),
    Case("no-markup-at-all", doc("<p>Kettle, 39 EUR.</p>"), "no_records", reason="no schema.org review markup"),
    Case("http-404", doc("<h1>Not found</h1>"), "failed", status=404, failures=["http 404"]),
    Case("fetch-timeout", None, "failed", status=None, error="timeout after 15s", failures=["timeout after 15s"]),
    Case("non-html-body", None, "no_records", reason="no HTML body"),
    Case("empty-body", "  \n ", "no_records", reason="empty page"),
    Case("binary-garbage", "\x00\x01\x02\xff<<<>>>\x00", "no_records", reason="no schema.org review markup"),
    Case(
        "unclosed-tags-everywhere",
        "<html><body><div><p><b>" + ld(product(review())) + "<span></div></p>",
        "yielded",
        [{"product_id": "K-1"}],
    ),
    # ---- per-source selectors and body text
    Case(
        "selectors-css-and-xpath",
        doc(SHOP_PAGE, lang="en"),
        "yielded",
        [
            {
                "review_id": "rv-1001",
                "product_id": "SKU-9",
                "text": "Great value.\nWould buy again.",
                "rating": 4.5,
                "author": "Cy",
                "published": "2026-10-01",
                "extraction": "selectors",
            },
            {"review_id": "rv-1002", "rating": 2.0, "author": "Di"},
        ],
        failures=["rating is not a number: 'no rating'"],
        spec=ExtractionSpec("selectors", SHOP_SELECTORS),
    ),
    Case(
        "selectors-miss-falls-back-to-schema-org",
        doc(ld(product(review()))),
        "yielded",
        [{"extraction": "json-ld"}],
        spec=ExtractionSpec("selectors", SHOP_SELECTORS),
    ),
    Case(
        "selectors-match-nothing",
        doc("<p>About us</p>"),
        "no_records",
        reason="selectors matched no review and no schema.org review markup",
        spec=ExtractionSpec("selectors", SHOP_SELECTORS),
    ),
    Case(
        "whole-page-review-with-body-text",
        doc(BLOG_REVIEW, lang="en"),
        "yielded",
        [{"rating": 4.2, "rating_scale": 10.0, "language": "en", "product_id": "https://blog.test/acme-kettle"}],
        spec=ExtractionSpec("selectors", ReviewSelectors(rating=".verdict::text"), body_text=True),
        url="https://blog.test/acme-kettle",
        notes=["product_id taken from the page url"],
    ),
]


def _run(case: Case):
    page = FetchedPage.of("shop", case.url, case.status, case.html, case.error, WHEN)
    return extract_page(page, case.spec)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case(case: Case):
    result = _run(case)
    assert result.outcome == case.outcome, (result.reason, result.failures)
    if case.reason:
        assert case.reason in result.reason
    got = [r.model_dump() for r in result.records]
    assert len(got) == len(case.records), got
    for expected, record in zip(case.records, got, strict=True):
        assert {k: record[k] for k in expected} == expected
    reasons = [f["reason"] for f in result.failures]
    assert len(reasons) == len(case.failures), reasons
    unmatched = list(reasons)
    for wanted in case.failures:
        match = next((r for r in unmatched if wanted in r), None)
        assert match is not None, f"{wanted!r} not in {reasons}"
        unmatched.remove(match)
    notes = " | ".join(r["extraction_notes"] or "" for r in got)
    for wanted in case.notes:
        assert wanted in notes


def _said(result: PageExtraction) -> dict[str, Any]:
    records = [r.model_dump() for r in result.records]
    return {"outcome": result.outcome, "reason": result.reason, "records": records, "failures": result.failures,
            "notes": result.notes}  # fmt: skip


def _mixed_language_pages() -> list[FetchedPage]:
    """Pages whose reviews' languages agree with, differ from, or stand in for the page's declaration: each
    review gets its own detection, the undeclared page one for its reviews together."""
    texts = [GERMAN, FRENCH, SPANISH, ENGLISH, "Gut.", "Fine."]
    pages = []
    for n, declared in enumerate([None, "en", "de", "fr", None, "es"]):
        reviews = [review(texts[(n + k) % len(texts)], sku=None) for k in range(4)]
        html = doc(ld(product(*reviews, sku=f"K-{n}")), lang=declared)
        pages.append(FetchedPage.of("shop", f"{URL}-{n}", 200, html, None, WHEN))
    return pages


def test_pages_extracted_together_as_each_alone():
    """`extract_pages` detects the languages of a batch of pages in one pass (what every worker runs): each
    page must come out as `extract_page` gives it alone, whatever else is in the batch and in what order."""
    mixed = _mixed_language_pages()
    by_spec: dict[Any, list[FetchedPage]] = {"schema_org_reviews": list(mixed)}
    for case in CASES:
        page = FetchedPage.of("shop", case.url, case.status, case.html, case.error, WHEN)
        by_spec.setdefault(case.spec, []).append(page)
    shuffled = random.Random(5)
    for spec, pages in by_spec.items():
        alone = {id(page): _said(extract_page(page, spec)) for page in pages}
        for _ in range(3):
            batch = shuffled.sample(pages, len(pages))
            assert [_said(r) for r in extract_pages(batch, spec)] == [alone[id(page)] for page in batch]
    languages = [[r.language for r in extract_page(page, "schema_org_reviews").records] for page in mixed]
    assert languages == [  # each review its own detection, where it can override (a mix-up would show)
        ["de", "fr", "es", "en"],
        ["fr", "es", "en", "en"],
        ["es", "en", "de", "de"],
        ["en", "fr", "fr", "de"],
        ["und", "und", "de", "fr"],
        ["es", "de", "fr", "es"],
    ]


def test_corpus_is_large_and_its_ids_distinct():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def test_failure_rows_carry_page_stage_and_offending_values():
    [failure] = _run(next(c for c in CASES if c.id == "rating-above-scale")).failures
    assert failure["stage"] == "validate" and failure["page_url"] == URL and failure["source"] == "shop"
    offending = json.loads(failure["offending"])
    assert offending["rating_value"] == 7 and offending["best_rating"] == 5 and offending["product_id"] == "K-1"
    [broken] = _run(next(c for c in CASES if c.id == "jsonld-single-quotes-unrepairable")).failures
    assert broken["stage"] == "extract" and broken["offending"].startswith("{'@type': 'Review'")


def test_body_text_is_kept_on_records_and_excludes_boilerplate():
    case = next(c for c in CASES if c.id == "whole-page-review-with-body-text")
    [record] = _run(case).records
    assert record.page_text == record.text
    assert "short cable" in record.text and "Copyright" not in record.text and "About" not in record.text
    spec = ExtractionSpec("schema_org_reviews", body_text=True)
    [with_markup] = extract_page(
        FetchedPage.of("shop", URL, 200, doc(ld(product(review())), BLOG_REVIEW), None, WHEN), spec
    ).records
    assert with_markup.text == "Boils fast and stays quiet." and "short cable" in (with_markup.page_text or "")


def test_record_ids_are_stable_across_page_variants_and_distinct_across_products():
    html = doc(ld(product(review(identifier="1"), sku="W-1")))
    first = extract_page(FetchedPage.of("shop", URL, 200, html, None, WHEN), "schema_org_reviews").records[0]
    again = extract_page(FetchedPage.of("shop", URL + "?ref=x", 200, html, None, WHEN), "schema_org_reviews").records[0]
    other = doc(ld(product(review(identifier="1"), sku="W-2")))
    other_product = extract_page(FetchedPage.of("shop", URL, 200, other, None, WHEN), "schema_org_reviews").records[0]
    assert first.record_id == again.record_id != other_product.record_id


SCHEMA_KEYS = st.sampled_from(
    [
        "@type",
        "@id",
        "@graph",
        "review",
        "reviewBody",
        "reviewRating",
        "ratingValue",
        "bestRating",
        "worstRating",
        "author",
        "name",
        "itemReviewed",
        "sku",
        "identifier",
        "inLanguage",
        "@value",
        "@language",
        "aggregateRating",
    ]
)
SCHEMA_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 1000),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["Review", "Product", "Rating", "#r1", "_:b0", "4,5", "★★★", "&amp;", "<b>x</b>", "de-DE"]),
)
JSON_TREES = st.recursive(
    SCHEMA_VALUES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(SCHEMA_KEYS, inner, max_size=5)),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(JSON_TREES, st.booleans())
def test_any_json_ld_tree_ends_in_an_outcome_never_an_exception(tree, as_microdata_too):
    html = doc(ld(tree), MICRODATA_PRODUCT if as_microdata_too else "")
    result = extract_page(FetchedPage.of("shop", URL, 200, html, None, WHEN), "schema_org_reviews")
    assert result.outcome in {"yielded", "no_records", "failed"}
    assert not any(f["reason"].startswith("candidate could not be shaped") for f in result.failures)
    assert all(1 <= r.rating <= 5 and r.text for r in result.records)
