"""From one stored page to validated records plus a reason for everything that did not make it.

Every page ends in exactly one outcome (`yielded`, `no_records`, `failed`) so the stage reconciles:
pages in = pages that yielded records + pages with none (and why) + pages that failed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from parsel import Selector

from gleaner.ratings import RatingError, normalize_rating
from gleaner.schemas import ProductReview, stable_record_id, validate_candidate
from gleaner.structured_data import extract_structured_reviews

Outcome = Literal["yielded", "no_records", "failed"]


@dataclass(frozen=True)
class StoredPage:
    """The columns of `raw_pages` that extraction needs."""

    source: str
    url: str  # canonical
    status: int | None
    html: str | None
    error: str | None
    fetched_at: datetime


@dataclass
class PageExtraction:
    outcome: Outcome
    reason: str
    records: list[ProductReview] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)


def _failure(page: StoredPage, stage: str, reason: str, offending: Any) -> dict[str, Any]:
    return {
        "source": page.source,
        "page_url": page.url,
        "stage": stage,
        "reason": reason,
        "offending": str(offending)[:2000],
    }


def _css_candidates(selector: Selector) -> list[dict[str, Any]]:
    product = selector.css("h1.product-name")
    product_id = product.attrib.get("data-product-id") if product else None
    candidates = []
    for article in selector.css("article.review"):
        text = " ".join(t.strip() for t in article.css(".review-text ::text").getall() if t.strip())
        candidates.append(
            {
                "review_id": article.attrib.get("data-review-id"),
                "product_id": product_id,
                "text": text,
                "rating_value": article.css(".rating::attr(data-rating)").get(),
                "best_rating": 5,
                "worst_rating": 1,
                "author": article.css(".author::text").get(),
                "published": article.css("time::attr(datetime)").get(),
                "language": None,
            }
        )
    return candidates


def _to_record(page: StoredPage, raw: dict[str, Any], language: str) -> dict[str, Any]:
    """Shape a loose candidate into the model's fields; rating problems surface as validation reasons."""
    text = (raw.get("text") or "").strip()
    try:
        rating, scale = normalize_rating(
            raw.get("rating_value"), raw.get("best_rating"), raw.get("worst_rating")
        )
    except RatingError as exc:
        rating, scale = str(exc), raw.get("best_rating") or 5
    natural_key = (
        raw.get("review_id")
        or hashlib.sha256(
            f"{raw.get('product_id')}|{raw.get('author')}|{raw.get('published')}|{text[:200]}".encode()
        ).hexdigest()[:16]
    )
    return {
        "record_id": stable_record_id(page.source, natural_key),
        "review_id": natural_key,
        "product_id": raw.get("product_id") or "",
        "source": page.source,
        "page_url": page.url,
        "scraped_at": page.fetched_at,
        "text": text,
        "rating": rating,
        "rating_scale": scale,
        "author": raw.get("author"),
        "published": raw.get("published"),
        "language": (raw.get("language") or language or "und").lower(),
        "word_count": len(text.split()),
    }


def extract_page(page: StoredPage, extractor: str) -> PageExtraction:
    """Extract with the source's extractor; never raises for anything a page can contain."""
    if page.error or page.html is None:
        reason = page.error or "page has no body"
        return PageExtraction("failed", reason, failures=[_failure(page, "fetch", reason, page.status)])
    if page.status is not None and page.status >= 400:
        reason = f"http {page.status}"
        return PageExtraction("failed", reason, failures=[_failure(page, "fetch", reason, page.status)])
    try:
        selector = Selector(text=page.html)
        language = selector.xpath("/html/@lang").get() or "und"
        structured = extract_structured_reviews(page.html, page.url)
        candidates = _css_candidates(selector) if extractor == "demo_shop" else []
        if not candidates:
            candidates = structured.reviews
    except Exception as exc:  # a parser crash on hostile markup is a failed page, not a failed run
        reason = f"unparseable page: {type(exc).__name__}: {exc}"
        return PageExtraction("failed", reason, failures=[_failure(page, "extract", reason, page.html[:500])])

    result = PageExtraction("no_records", "no review markup on page")
    result.failures.extend(_failure(page, "extract", err, "") for err in structured.errors)
    seen: set[str] = set()
    for raw in candidates:
        shaped = _to_record(page, raw, language)
        if shaped["record_id"] in seen:
            continue  # the same review marked up twice on one page (JSON-LD and microdata) is one review
        seen.add(shaped["record_id"])
        record, reason = validate_candidate(shaped)
        if record is None:
            result.failures.append(_failure(page, "validate", reason or "invalid", raw))
        else:
            result.records.append(record)
    if result.records:
        result.outcome, result.reason = "yielded", f"{len(result.records)} records"
    elif candidates:
        result.outcome, result.reason = "failed", "every candidate record failed validation"
    return result
