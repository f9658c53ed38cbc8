"""The record contract. Pydantic models come first; extraction only produces candidates for them.

Validation errors are data, not exceptions that end a run: `validate_candidate` turns each into a reason
string that lands in `failed_records`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

LABELS = ("negative", "positive")


def stable_record_id(source: str, natural_key: str) -> str:
    """Same review scraped again, from any page variant, maps to the same id."""
    return hashlib.sha256(f"{source}\x1f{natural_key}".encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _require_timezone(cls: type, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("scraped_at must carry a timezone")
    return value


class ProductReview(BaseModel):
    """A product review as the demo dataset promises it to downstream consumers."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    record_id: str = Field(min_length=8, description="Stable hash of source and review_id.")
    review_id: str = Field(
        min_length=1, description="Natural key: the site's review id, else a hash of product, author, date, text."
    )
    product_id: str = Field(min_length=1, description="The reviewed item's sku/GTIN/mpn/id/name, else the page URL.")
    source: str = Field(min_length=1, description="Configured source or built-in extractor name.")
    page_url: str = Field(
        pattern=r"^(?:https?|file)://",
        description="Canonical URL of the page; file:// only for local files run through `gleaner extract`.",
    )
    scraped_at: datetime = Field(description="When the page was fetched (UTC).")
    text: str = Field(min_length=1, max_length=20_000, description="Review text, entities decoded, tags removed.")
    rating: float = Field(ge=1, le=5, description="Rating mapped linearly onto 1-5.")
    rating_scale: float = Field(gt=0, description="The scale the rating was published on (5, 10, 100).")
    author: str | None = None
    published: str | None = Field(default=None, description="Publication date as the page wrote it.")
    language: str = Field(default="und", description="Primary language subtag (en, de, ...), und when unknown.")
    word_count: int = Field(ge=1, description="Whitespace words; each CJK character counts as one.")
    extraction: str | None = Field(
        default=None, description="Where the review was found: json-ld, microdata, rdfa or selectors."
    )
    extraction_notes: str | None = Field(
        default=None, description="What extraction had to repair or infer (JSON-LD repairs, detected language)."
    )
    page_text: str | None = Field(
        default=None, description="Main text of the page (trafilatura), for sources with body_text: true."
    )

    _aware = field_validator("scraped_at")(_require_timezone)


class ProductPage(BaseModel):
    """A product page as the product-entity dataset reads it: the title (and a short description) to tag."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    record_id: str = Field(min_length=8, description="Stable hash of source and product_id.")
    product_id: str = Field(min_length=1, description="The product's sku/GTIN/mpn/id, else the page URL.")
    source: str = Field(min_length=1, description="Configured source or built-in extractor name.")
    page_url: str = Field(pattern=r"^(?:https?|file)://", description="Canonical URL of the product page.")
    scraped_at: datetime = Field(description="When the page was fetched (UTC).")
    title: str = Field(min_length=1, max_length=1_000, description="The product's name as the page shows it.")
    description: str | None = Field(default=None, max_length=20_000, description="Short product description.")

    _aware = field_validator("scraped_at")(_require_timezone)


M = TypeVar("M", bound=BaseModel)

REVIEW_COLUMNS: dict[str, str] = {
    name: (field.description or str(field.annotation)) for name, field in ProductReview.model_fields.items()
}


def validate_candidate(
    candidate: dict[str, Any], known: dict[str, str | None] | None = None, model: type[M] = ProductReview
) -> tuple[M | None, str | None]:
    """Return the model (a `ProductReview` unless `model` says otherwise) or a human-readable reason naming
    each failing field.

    ``known`` holds problems found before validation (a rating that fits no scale, a review without text)
    by field; they replace the validator's generic message for that field, and a None message silences a
    field whose failure only follows from another (no text, so no words).
    """
    known = known or {}
    stated = [
        message if message.startswith(field) else f"{field}: {message}" for field, message in known.items() if message
    ]
    try:
        record = model.model_validate(candidate)
    except ValidationError as exc:
        reasons = list(stated)
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "record"
            if field not in known:
                reasons.append(f"{field}: {err['msg']} (got {err.get('input')!r:.60})")
        return None, "; ".join(reasons)
    if stated:
        return None, "; ".join(stated)
    return record, None
