"""Where a site keeps each review field: the `selectors` block of a source, checked when the config loads.

Part of the source configuration (`gleaner.sources`), so a typo in a selector fails at load time naming the
field; `gleaner.extract.selectors` applies them to pages. Selectors are CSS (parsel dialect, so ``::text`` and
``::attr(name)`` work) unless prefixed ``xpath:``.
"""

from __future__ import annotations

from parsel import Selector, SelectorList
from pydantic import BaseModel, ConfigDict, Field, field_validator

XPATH_PREFIX = "xpath:"
_PROBE = Selector(text="<html><body></body></html>")
_FIELDS = ("review_id", "text", "rating", "author", "published", "product_id", "language")


def select(scope: Selector, query: str) -> SelectorList:
    if query.startswith(XPATH_PREFIX):
        return scope.xpath(query[len(XPATH_PREFIX) :].strip())
    return scope.css(query)


def _compile(query: str) -> str:
    try:
        select(_PROBE, query)
    except Exception as exc:  # cssselect and lxml raise several unrelated types for bad syntax
        kind = "XPath" if query.startswith(XPATH_PREFIX) else "CSS"
        raise ValueError(f"invalid {kind} selector {query!r}: {exc}") from exc
    return query


class ReviewSelectors(BaseModel):
    """Where a site keeps each review field; numbers for best/worst rating fix the site's scale."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review: str | None = Field(default=None, description="One match per review; omitted: the page is one review.")
    review_id: str | None = None
    text: str | None = None
    rating: str | None = None
    best_rating: float | str | None = Field(default=None, description="A number (the site's scale) or a selector.")
    worst_rating: float | str | None = None
    author: str | None = None
    published: str | None = None
    product_id: str | None = None
    language: str | None = Field(default=None, description="Omitted: the nearest lang attribute of the review.")

    @field_validator("review", *_FIELDS)
    @classmethod
    def _valid_selector(cls, value: str | None) -> str | None:
        return None if value is None else _compile(value)

    @field_validator("best_rating", "worst_rating")
    @classmethod
    def _number_or_selector(cls, value: float | str | None) -> float | str | None:
        if isinstance(value, str):
            try:
                return float(value.replace(",", "."))
            except ValueError:
                return _compile(value)
        return value
