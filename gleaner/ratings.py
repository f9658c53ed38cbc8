"""Ratings arrive on many scales and in many spellings; the schema wants 1-5 with the original scale kept."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


class RatingError(ValueError):
    """A rating that cannot be placed on a 1-5 scale; the message says why."""


def parse_number(value: object) -> float:
    """Accept 4, 4.5, "4.5", "4,5" and " 5.0 "; refuse everything else with the value in the message."""
    if isinstance(value, bool):
        raise RatingError(f"rating is a boolean: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            return float(text.replace(",", "."))
    raise RatingError(f"rating is not a number: {value!r}")


def infer_scale(value: float) -> float:
    """When `bestRating` is missing, the smallest common scale that holds the value is the likeliest one."""
    for scale in (5.0, 10.0, 100.0):
        if value <= scale:
            return scale
    raise RatingError(f"rating {value:g} is above every known scale")


def normalize_rating(value: object, best: object = None, worst: object = None) -> tuple[float, float]:
    """Map a rating onto 1-5 linearly; returns (rating, scale it was published on).

    schema.org's defaults are worstRating 1 and bestRating 5; for 10- and 100-point scales sites usually
    start at 0, so that is the default worst there.
    """
    rating = parse_number(value)
    scale = parse_number(best) if best not in (None, "") else infer_scale(rating)
    low = parse_number(worst) if worst not in (None, "") else (1.0 if scale == 5.0 else 0.0)
    if scale <= low:
        raise RatingError(f"bestRating {scale:g} is not above worstRating {low:g}")
    if not low <= rating <= scale:
        raise RatingError(f"rating {rating:g} is outside {low:g}-{scale:g}")
    return round(1.0 + (rating - low) * 4.0 / (scale - low), 3), scale
