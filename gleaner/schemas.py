"""The record contract. Pydantic models come first; extraction only produces candidates for them.

Validation errors are data, not exceptions that end a run: `validate_candidate` turns each into a reason
string that lands in `failed_records`.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

LABELS = ("negative", "positive")


def stable_record_id(source: str, natural_key: str) -> str:
    """Same review scraped again, from any page variant, maps to the same id."""
    return hashlib.sha256(f"{source}\x1f{natural_key}".encode()).hexdigest()[:20]


class ProductReview(BaseModel):
    """A product review as the demo dataset promises it to downstream consumers."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    record_id: str = Field(min_length=8)
    review_id: str = Field(min_length=1)
    product_id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    page_url: str = Field(pattern=r"^https?://")
    scraped_at: datetime
    text: str = Field(min_length=1, max_length=20_000)
    rating: float = Field(ge=1, le=5)
    rating_scale: float = Field(gt=0, description="The scale the rating was published on (5, 10, 100).")
    author: str | None = None
    published: str | None = None
    language: str = "und"
    word_count: int = Field(ge=1)

    @field_validator("scraped_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("scraped_at must carry a timezone")
        return value


REVIEW_COLUMNS: dict[str, str] = {
    name: (field.description or str(field.annotation)) for name, field in ProductReview.model_fields.items()
}


def validate_candidate(candidate: dict[str, Any]) -> tuple[ProductReview | None, str | None]:
    """Return the model or a human-readable reason naming each failing field."""
    try:
        return ProductReview.model_validate(candidate), None
    except ValidationError as exc:
        reasons = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "record"
            reasons.append(f"{field}: {err['msg']} (got {err.get('input')!r:.60})")
        return None, "; ".join(reasons)
