"""Label quality of a whole dataset: calibration of each machine source over every partition, and the label
issues cleanlab found, for the version's manifest (`label_quality`) and card.

Each partition's labels step calibrates on what people labelled up to then; a version reports the same
calibration fitted once over every partition's votes and human labels (the audit slice's when there are
enough of them, as in the labels step), so the card says how far each source's raw confidence was off and
how far it is after calibration. The reliability diagram drawn from it is a data file of the version
(`reliability.png`): `reliability_file` renders it from this summary, so equal summaries give equal bytes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import polars as pl

from gleaner.labeling import LABEL_ISSUE, Calibrator, fit_calibrator, human_gold, reliability_png

RELIABILITY_PNG = "reliability.png"


def candidate_votes(human_labelled: Collection[str]) -> pl.Expr:
    """The `labels` rows a classification candidate needs: every resolved row (the labels it joins, the label
    issues it counts) and every row of a record people labelled (the only records `label_quality`'s
    calibration is fitted on: `fit_calibrator` scores a source only where there is a human label). The
    other machine votes, most of the table, are left unread: agreement is counted per partition in the
    candidate state."""
    return (pl.col("annotator_kind") == "resolved") | pl.col("record_id").is_in(sorted(set(human_labelled)))


def label_quality(votes: pl.DataFrame, min_samples: int, audit_fraction: float) -> dict[str, Any]:
    """The dataset-level calibration (as JSON) and the count of records flagged as label issues, from every
    partition's `labels` rows."""
    resolved = votes.filter(pl.col("annotator_kind") == "resolved")
    rows = votes.filter(pl.col("annotator_kind") != "resolved").select(
        "record_id", "annotator_kind", "label", "confidence"
    )
    rows = rows.sort(["record_id", "annotator_kind", "label", "confidence"], nulls_last=True).to_dicts()
    gold = human_gold(rows)
    calibrator = fit_calibrator(rows, gold, min_samples, audit_fraction)
    return {
        "calibration": calibrator.to_json(),
        "human_labelled_records": len(gold),
        "label_issues": int((resolved["basis"] == LABEL_ISSUE).sum()) if "basis" in resolved.columns else 0,
    }


def manifest_figures(quality: dict[str, Any]) -> dict[str, Any]:
    """What the manifest keeps: ECE raw and calibrated per source, how it was fitted, the label issues."""
    calibration = Calibrator.from_json(quality["calibration"])
    return {
        "fitted_on": calibration.basis,
        "human_labelled_records": quality["human_labelled_records"],
        "label_issues": quality["label_issues"],
        "reliability_diagram": RELIABILITY_PNG,
        "sources": {
            name: {
                "samples": c.samples,
                "method": c.method,
                "ece_raw": round(c.ece_raw, 4),
                "ece_calibrated": round(c.ece_calibrated, 4),
                "note": c.note,
            }
            for name, c in sorted(calibration.sources.items())
        },
    }


def reliability_file(quality: dict[str, Any]) -> bytes:
    """The version's reliability diagram, drawn from the summary's calibration."""
    return reliability_png(Calibrator.from_json(quality["calibration"]))
