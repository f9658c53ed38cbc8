"""Annotation velocity: records people label per annotator-hour, from Label Studio's `lead_time`.

Label Studio measures the seconds an annotator spends on each task (`annotations[].lead_time`); the human
labels tables keep it. Velocity is distinct records annotated divided by the hours those annotations took,
overall and per annotator, next to the schema-first article's 240 records per hour, so a team sees whether
its queue (pre-annotated, most informative first) is costing what it should. Only annotations with a known,
positive lead time count, on both sides of the division: one without (files written by hand, annotations
made through the API, which Label Studio stores as null or 0) would add a record and no time. They are
counted as `without_lead_time` instead, so a figure built on few timed annotations says so.

Deterministic: duplicate rows of one annotation (the same annotation read from two partitions or two
exports) count once, sums are exact (`math.fsum`, independent of row order) and figures are rounded to
fixed places, so the same annotations give the same numbers, metadata and card bytes on any machine.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

REFERENCE_RECORDS_PER_HOUR = 240  # the schema-first article's hand-labelling rate, the bar we compare with
HOURS_PLACES = 4  # 0.36 s: finer than Label Studio's timer is worth
RATE_PLACES = 1


def timed_seconds(value: Any) -> float | None:
    """A lead time that can count: a finite number of seconds above zero; anything else is unknown."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def _figures(records: set[str], seconds: list[float], without: int) -> dict[str, Any]:
    hours = math.fsum(seconds) / 3600
    return {
        "records": len(records),
        "annotations": len(seconds),
        "hours": round(hours, HOURS_PLACES),
        "records_per_hour": round(len(records) / hours, RATE_PLACES) if hours > 0 else None,
        "without_lead_time": without,
    }


def annotation_velocity(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Velocity from human label rows (`record_id`, `annotator`, `annotation_id`, `lead_time`; a row without
    `lead_time` is untimed): overall figures, `per_annotator` (sorted by annotator) and the reference rate.

    `records_per_hour` is None when no annotation is timed. JSON-ready: the candidate summary, the manifest
    and the card carry it as it is."""
    seen: set[tuple[Any, ...]] = set()
    records: dict[str | None, set[str]] = defaultdict(set)
    seconds: dict[str | None, list[float]] = defaultdict(list)
    without: dict[str | None, int] = defaultdict(int)
    for row in rows:
        identity = (row.get("record_id"), row.get("annotator"), row.get("annotation_id"))
        if identity in seen or row.get("record_id") is None:
            continue
        seen.add(identity)
        annotator = str(row.get("annotator"))
        timed = timed_seconds(row.get("lead_time"))
        for who in (None, annotator):  # None: everyone
            if timed is None:
                without[who] += 1
            else:
                records[who].add(str(row["record_id"]))
                seconds[who].append(timed)
    annotators = sorted({who for who in (*seconds, *without) if who is not None})
    return {
        "reference_records_per_hour": REFERENCE_RECORDS_PER_HOUR,
        **_figures(records[None], seconds[None], without[None]),
        "per_annotator": [
            {"annotator": who, **_figures(records[who], seconds[who], without[who])} for who in annotators
        ],
    }


def velocity_rows(velocity: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One table row per annotator and one for everyone, rates against the reference: the metadata table
    and the card show the same figures."""
    reference = velocity["reference_records_per_hour"]

    def row(name: str, figures: Mapping[str, Any]) -> dict[str, Any]:
        rate = figures["records_per_hour"]
        return {
            "annotator": name,
            "records": figures["records"],
            "hours": figures["hours"],
            "records_per_hour": "n/a" if rate is None else rate,
            f"vs_{reference}_per_hour": "n/a" if rate is None else f"{rate / reference:.0%}",
            "without_lead_time": figures["without_lead_time"],
        }

    return [*(row(f["annotator"], f) for f in velocity["per_annotator"]), row("all annotators", velocity)]
