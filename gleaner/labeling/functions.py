"""Labeling functions: plain Python that looks at one record and returns a label or abstains (None).

Each function is an independent annotation source; agreement between them is measured, never assumed.
Which functions label which dataset is decided in `gleaner.labeling.registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RecordView:
    """What a labeling function may look at."""

    record_id: str
    text: str
    rating: float | None


LabelingFunction = Callable[[RecordView], str | None]


def apply_functions(
    records: Sequence[RecordView], functions: Mapping[str, LabelingFunction]
) -> list[dict[str, object]]:
    """One vote row per (record, function), abstentions included so coverage can be measured."""
    return [
        {
            "record_id": r.record_id,
            "annotator": name,
            "annotator_kind": "lf",
            "label": fn(r),
            "confidence": None,
        }
        for r in records
        for name, fn in functions.items()
    ]
