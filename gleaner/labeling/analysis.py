"""Snorkel-style LF analysis: polarity, coverage, overlaps, conflicts and, where gold exists, accuracy.

Definitions follow Snorkel's `LFAnalysis` (fractions of all records): coverage = the function voted;
overlaps = it voted and another function voted too; conflicts = it voted and another function voted
differently. Gold labels exist only for some records (those a person labelled), so correct, incorrect
and empirical accuracy are counted over the records that have gold and that the function voted on,
which is what Snorkel's `lf_empirical_accuracies` does when every record has gold.
"""

from __future__ import annotations

import polars as pl


def lf_summary(
    lf_votes: dict[str, dict[str, str | None]], gold: dict[str, str] | None = None
) -> list[dict[str, object]]:
    """`lf_votes` maps function -> {record -> label or None}; all functions saw the same records."""
    votes = pl.DataFrame(
        [(record, name, label) for name, by_record in lf_votes.items() for record, label in by_record.items()],
        schema={"record_id": pl.String, "annotator": pl.String, "label": pl.String},
        orient="row",
    )
    return lf_summary_table(votes, gold)


def lf_summary_table(votes: pl.DataFrame, gold: dict[str, str] | None = None) -> list[dict[str, object]]:
    """The same summary from vote rows (`record_id`, `annotator` the function, `label`, null when it
    abstained; one row per record and function), as a partition's labels hold them: counted per record
    in columns rather than a set lookup per vote and function (a Python pass of a second per 100k records)."""
    voted = votes.filter(pl.col("label").is_not_null())
    counted = voted.with_columns(
        others=pl.len().over("record_id") - 1,  # other functions that voted on the record
        agreeing=pl.len().over("record_id", "label") - 1,  # ... and voted the same
    )
    truth = pl.DataFrame(
        {"record_id": list(gold or {}), "gold": list((gold or {}).values())},
        schema={"record_id": pl.String, "gold": pl.String},
    )
    per_function = (
        counted.join(truth, on="record_id", how="left")
        .group_by("annotator")
        .agg(
            labelled=pl.len(),
            overlaps=(pl.col("others") > 0).sum(),
            conflicts=(pl.col("others") > pl.col("agreeing")).sum(),
            judged=pl.col("gold").is_not_null().sum(),
            correct=(pl.col("label") == pl.col("gold")).sum(),
            polarity=pl.col("label").unique().sort(),
        )
    )
    counts = ["labelled", "overlaps", "conflicts", "judged", "correct"]
    summary = (
        votes.group_by("annotator")
        .agg(n=pl.len())
        .join(per_function, on="annotator", how="left")
        .with_columns(pl.col(counts).fill_null(0), pl.col("polarity").fill_null([]))
        .sort("annotator")
    )
    return [
        {
            "function": r["annotator"],
            "polarity": r["polarity"],
            "coverage": round(r["labelled"] / r["n"], 4),
            "overlaps": round(r["overlaps"] / r["n"], 4),
            "conflicts": round(r["conflicts"] / r["n"], 4),
            "correct": r["correct"],
            "incorrect": r["judged"] - r["correct"],
            "empirical_accuracy": round(r["correct"] / r["judged"], 4) if r["judged"] else None,
        }
        for r in summary.iter_rows(named=True)
    ]
