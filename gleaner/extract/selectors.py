"""Per-source selectors for sites whose reviews carry no schema.org markup.

A source's ``selectors`` block in sources.yaml names where each field lives. Selectors are CSS (parsel
dialect, so ``::text`` and ``::attr(name)`` work) unless prefixed ``xpath:``. Field selectors run inside each
``review`` container; ``product_id`` falls back to the whole page when the container holds none (the usual
product page: one id in the heading, many reviews below). Without a ``review`` selector the page itself is
one review (editorial review pages), and without a ``text`` selector such a page can take its main text
(``body_text: true`` on the source). XPath runs with the container as context node, so field selectors
start ``.//``. Selectors are compiled when the config loads, so a typo fails there.
"""

from __future__ import annotations

from typing import Any

from parsel import Selector

from gleaner.extract.language import language_tag
from gleaner.extract.text_clean import clean_text
from gleaner.selector_config import ReviewSelectors
from gleaner.selector_config import select as _select


def _values(scope: Selector, query: str | None) -> list[str]:
    if query is None:
        return []
    return [text for raw in _select(scope, query).getall() if (text := clean_text(raw))]


def _first(scope: Selector, query: str | None) -> str | None:
    values = _values(scope, query)
    return values[0] if values else None


def _scale(scope: Selector, value: float | str | None) -> Any:
    return _first(scope, value) if isinstance(value, str) else value


def select_candidates(page: Selector, selectors: ReviewSelectors) -> list[dict[str, Any]]:
    """Loose review candidates, one per container; the pydantic model judges them later."""
    containers = list(_select(page, selectors.review)) if selectors.review else [page]
    candidates = []
    for container in containers:
        text = "\n".join(_values(container, selectors.text)) or None
        own_lang = _first(container, selectors.language) if selectors.language else None
        if own_lang is None and selectors.review:
            own_lang = container.xpath("ancestor-or-self::*[@lang][not(self::html)][1]/@lang").get()
        candidate = {
            "syntax": "selectors",
            "review_id": _first(container, selectors.review_id),
            "product_id": _first(container, selectors.product_id) or _first(page, selectors.product_id),
            "text": text,
            "rating_value": _first(container, selectors.rating),
            "best_rating": _scale(container, selectors.best_rating),
            "worst_rating": _scale(container, selectors.worst_rating),
            "author": _first(container, selectors.author),
            "published": _first(container, selectors.published),
            "language": language_tag(own_lang),
        }
        if not selectors.review and not any(candidate[k] for k in ("text", "rating_value", "review_id", "author")):
            continue  # a whole-page source on a page that is not a review (a listing, an about page)
        candidates.append(candidate)
    return candidates
