"""The one check both tools' answers share: a confidence is a finite number in [0, 1]."""

from __future__ import annotations

import math
from typing import Any


def confidence_problem(confidence: Any) -> str | None:
    """Why a tool answer's confidence is unusable (not a finite number in [0, 1]), or None."""
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not math.isfinite(confidence):
        return f"invalid_confidence: {confidence!r:.40} is not a number"
    if not 0 <= confidence <= 1:
        return f"invalid_confidence: {confidence!r} is outside [0, 1]"
    return None
