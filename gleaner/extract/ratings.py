"""Ratings arrive on many scales and in many spellings; the schema wants 1-5 with the original scale kept."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_OUT_OF = re.compile(
    r"(?P<value>\d+(?:[.,]\d+)?)\s*(?:/|of|out\s+of|von|sur|su|de|van|z|из)\s*(?P<best>\d+(?:[.,]\d+)?)(?![\d.,]*\d)",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(?P<value>\d+(?:[.,]\d+)?)\s*%")
_ANY_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_FULL_STARS, _EMPTY_STARS = "★⭐", "☆"


class RatingError(ValueError):
    """A rating that cannot be placed on a 1-5 scale; the message says why."""


def parse_number(value: object, what: str = "rating") -> float:
    """Accept 4, 4.5, "4.5", "4,5" and " 5.0 "; refuse everything else with the value in the message."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RatingError(f"{what} is missing")
    if isinstance(value, bool):
        raise RatingError(f"{what} is a boolean: {value!r}")
    if isinstance(value, (int, float)):  # a tuple: `int | float` would be built on every call
        if value != value or value in (float("inf"), float("-inf")):
            raise RatingError(f"{what} is not a finite number: {value!r}")
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            return float(text.replace(",", "."))
    raise RatingError(f"{what} is not a number: {value!r}")


def split_rating_text(value: object) -> tuple[object, object, object]:
    """(value, best, worst) from how shops print ratings: "4.5 out of 5", "Score: 8/10", "80%", "4 stars", "★★★★☆".

    Anything else comes back untouched with no scale, so `normalize_rating` reports it as it was found.
    """
    if not isinstance(value, str) or _NUMBER.match(value.strip()):
        return value, None, None
    text = value.strip()
    match = _OUT_OF.search(text)
    if match and float(match["value"].replace(",", ".")) <= float(match["best"].replace(",", ".")) <= 100:
        return match["value"], match["best"], None
    if match := _PERCENT.search(text):
        return match["value"], 100, 0
    numbers = _ANY_NUMBER.findall(text)
    if len(numbers) == 1:  # "Rating: 4.5", "4 stars"; with several numbers it is anyone's guess
        return numbers[0], None, None
    glyphs = [c for c in text if not c.isspace()]
    if glyphs and all(c in _FULL_STARS + _EMPTY_STARS for c in glyphs):
        full = sum(c in _FULL_STARS for c in glyphs)
        return full, (len(glyphs) if any(c in _EMPTY_STARS for c in glyphs) else None), None
    return value, None, None


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
    scale = parse_number(best, "bestRating") if best not in (None, "") else infer_scale(rating)
    low = parse_number(worst, "worstRating") if worst not in (None, "") else (1.0 if scale == 5.0 else 0.0)
    if scale <= low:
        raise RatingError(f"bestRating {scale:g} is not above worstRating {low:g}")
    if not low <= rating <= scale:
        raise RatingError(f"rating {rating:g} is outside {low:g}-{scale:g}")
    return round(1.0 + (rating - low) * 4.0 / (scale - low), 3), scale
