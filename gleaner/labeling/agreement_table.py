"""Source agreement from a compact vote table that is built per partition and combined by concatenation,
and from the *vote patterns* it reduces to.

`source_agreement` walks every vote row of every partition in Python, which at a few hundred thousand rows
is the slowest part of building a candidate, and a candidate built again after one new partition walked
them all again. Here each partition's vote rows become, once, its *vote table*: one row per (record,
source) with the label that source finally gave there (the rows `source_votes` keeps: no resolved row, no
conditional LLM vote, no abstention; a later row of the same source for the same record wins), plus the
partition's unconditional LLM annotators. A candidate keeps the tables of the partitions it has seen
(`gleaner.dataset.candidate_state`) and builds only those of new or changed partitions.

Every figure of the report is a sum over records of what the record's *pattern* (which sources voted on it,
and what each said) determines: Cohen's kappa per pair from contingency counts, Fleiss' kappa from each
record's category counts, Krippendorff's alpha from each record's coincidences. So the report needs only
how many records gave each pattern (`vote_patterns`: a few dozen rows for a million records with five
sources), and those counts add and subtract exactly: a candidate keeps them and recounts only the records a
new or changed partition touches. Why not per-partition counts alone: a record re-scraped into a later
partition must count once, with its later votes, so the records a partition touches are counted out as
they were and in as they are now, from their vote table rows.

The figures are the libraries' to the last bits or so: Cohen's kappa repeats scikit-learn's arithmetic on
the integer confusion matrix (the same bits); alpha and Fleiss' kappa sum integers per pattern before any
division where the krippendorff package and statsmodels sum floats item by item, so they agree to about
1e-15, which the report's four digits hide unless a figure lies that close to a rounding boundary
(tests/labeling/test_agreement_table.py holds both to the libraries unrounded). Deliberately not the
library calls: they take one row per item, 0.4 s at 350k records and more with every record held, where the
report from day 12's 31 patterns takes 4 ms. Where patterns barely repeat (many independent sources) there
are about as many patterns as records, and the cost is the old wide table's (0.4 s at 100k records, 20
sources).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import polars as pl

from gleaner.labeling.agreement import DIGITS, _defined, _round, cohen_kappa_counts

TABLE_SCHEMA = {"record_id": pl.String, "annotator": pl.String, "label": pl.String}


def vote_table(votes: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """One partition's (or any ordered set of partitions') vote rows as its vote table (sorted by record
    and annotator) and its unconditional LLM annotators (sorted); the same selection as `source_votes`."""
    if votes.is_empty():
        return pl.DataFrame(schema=TABLE_SCHEMA), []
    conditional = pl.col("conditional").fill_null(False) if "conditional" in votes.columns else pl.lit(False)
    sources = votes.filter((pl.col("annotator_kind") != "resolved") & ~conditional)
    llm = sources.filter(pl.col("annotator_kind") == "llm")["annotator"].cast(pl.String).unique().sort().to_list()
    table = (
        sources.filter(pl.col("label").is_not_null())
        .select(pl.col(name).cast(pl.String) for name in TABLE_SCHEMA)
        .unique(["record_id", "annotator"], keep="last", maintain_order=True)
        .sort(["record_id", "annotator"])
    )
    return table, llm


def combine(tables: list[pl.DataFrame]) -> pl.DataFrame:
    """The tables of several partitions, in the order their rows were read (a later partition's vote for
    the same record and source wins, as a later row does in `source_votes`)."""
    if not tables:
        return pl.DataFrame(schema=TABLE_SCHEMA)
    keys = ["record_id", "annotator"]
    rows = pl.concat(tables, how="vertical_relaxed").sort(keys, maintain_order=True)
    # A stable sort keeps each (record, source)'s votes in the order read, so its last row is the last vote:
    # one pass over neighbours, where a hashed `unique` before the sort cost as much as the sort (0.2 s at
    # 1.7M rows).
    last_of_key = pl.any_horizontal(pl.col(k).ne_missing(pl.col(k).shift(-1)) for k in keys)
    return rows.filter(last_of_key | (pl.int_range(pl.len()) == pl.len() - 1))


PATTERN_SCHEMA = {"annotators": pl.List(pl.String), "labels": pl.List(pl.String), "records": pl.Int64}


def vote_patterns(table: pl.DataFrame) -> pl.DataFrame:
    """How many records gave each *pattern*: the sorted annotators that voted on a record and their labels.
    Every figure `table_agreement` reports is a sum over records of something that depends on the record's
    pattern alone, so these counts are all it needs: a few dozen rows where sources agree as they usually do
    (31 for day 12's 350k records), up to one per record where they vote independently. Additive: two
    disjoint sets of records' patterns add up to their union's (`add_patterns`)."""
    if table.is_empty():
        return pl.DataFrame(schema=PATTERN_SCHEMA)
    per_record = (
        table.sort("record_id", "annotator")
        .group_by("record_id", maintain_order=True)
        .agg(pl.col("annotator").alias("annotators"), pl.col("label").alias("labels"))
    )
    return _settled(per_record.group_by("annotators", "labels").agg(pl.len().cast(pl.Int64).alias("records")))


def add_patterns(frames: list[pl.DataFrame], signs: list[int] | None = None) -> pl.DataFrame:
    """Pattern counts summed (each frame times its sign, +1 or -1); patterns left at zero dropped."""
    signs = signs or [1] * len(frames)
    parts = [f.with_columns(pl.col("records") * s) for f, s in zip(frames, signs, strict=True)]
    total = (
        pl.concat([pl.DataFrame(schema=PATTERN_SCHEMA), *parts])
        .group_by("annotators", "labels")
        .agg(pl.col("records").sum())
    )
    if (total["records"] < 0).any():
        raise ValueError("pattern counts went below zero: removed records that were never counted")
    return _settled(total.filter(pl.col("records") > 0))


def _settled(patterns: pl.DataFrame) -> pl.DataFrame:
    """One order for the same counts, so that the same records give the same bytes and the same float sums."""
    return patterns.select(*PATTERN_SCHEMA).sort("annotators", "labels")


def _long(patterns: pl.DataFrame) -> pl.DataFrame:
    """One row per pattern and annotator: `pattern` (its row), `annotator`, `label`, `records`."""
    return (
        patterns.with_row_index("pattern")
        .explode("annotators", "labels")
        .rename({"annotators": "annotator", "labels": "label"})
        .drop_nulls("annotator")  # a pattern of no annotator: a record without votes, never in a table
    )


def _cohen(
    long: pl.DataFrame, records: np.ndarray, annotators: list[str], min_shared: int
) -> dict[str, dict[str, Any]]:
    """Each pair's contingency counts, summed over the patterns in which both voted: one weighted count per
    pair over an annotators x patterns matrix of label codes, so a table whose patterns barely repeat (many
    independent sources) costs a pass per pair, not a join of every pattern's votes with each other.
    `records`: how many records gave each pattern, by its row (`long`'s `pattern`)."""
    if len(annotators) < 2:
        return {}
    labels = sorted(long["label"].unique().to_list())
    codes = np.full((len(annotators), len(records)), -1, dtype=np.int64)
    codes[
        long["annotator"].replace_strict(annotators, list(range(len(annotators))), return_dtype=pl.Int64).to_numpy(),
        long["pattern"].to_numpy(),
    ] = long["label"].replace_strict(labels, list(range(len(labels))), return_dtype=pl.Int64).to_numpy()
    weights = records.astype(np.float64)  # each pattern's records; exact, far below 2**53
    cohen = {}
    for (i, left), (j, right) in combinations(enumerate(annotators), 2):
        both = (codes[i] >= 0) & (codes[j] >= 0)
        cells = np.bincount(
            codes[i][both] * len(labels) + codes[j][both], weights=weights[both], minlength=len(labels) ** 2
        ).astype(np.int64)
        shared = int(cells.sum())
        if not shared or shared < min_shared:
            continue
        found = np.flatnonzero(cells)  # the label pairs that occur, as a group-by over the records gives them
        a, b = ([labels[k] for k in side] for side in np.divmod(found, len(labels)))
        agreeing = int(cells.reshape(len(labels), len(labels)).trace())
        cohen[f"{left} ~ {right}"] = {
            "left": left,
            "right": right,
            "n_shared": shared,
            "observed_agreement": round(agreeing / shared, DIGITS),
            "kappa": _round(cohen_kappa_counts(a, b, cells[found].tolist())),
        }
    return cohen


def _value_counts(long: pl.DataFrame) -> pl.DataFrame:
    """Per pattern and label: how many of its annotators gave the label (`n`), how many values the pattern
    holds in all (`m`) and how many records gave the pattern."""
    per_value = long.group_by("pattern", "label").agg(pl.col("records").first(), pl.len().cast(pl.Int64).alias("n"))
    return per_value.with_columns(pl.col("n").sum().over("pattern").alias("m"))


def _krippendorff(long: pl.DataFrame, annotators: list[str]) -> float | None:
    """Nominal alpha as the krippendorff package defines it (coincidences within each unit of two values or
    more, each unit's weighted by 1/(m-1); expected coincidences from their margins), with the units'
    integer coincidences summed per pattern and per m before any division."""
    categories = sorted(long["label"].drop_nulls().unique().to_list())
    if len(categories) < 2 or len(annotators) < 2:
        return None
    pairable = _value_counts(long).filter(pl.col("m") >= 2)
    if pairable.is_empty():  # the package refuses: no unit with values from two annotators
        return None
    other = pairable.select("pattern", pl.col("label").alias("other"), pl.col("n").alias("n_other"))
    unnormalized = (
        pairable.join(other, on="pattern")
        .with_columns(
            (
                (
                    pl.col("n") * pl.col("n_other")
                    - pl.when(pl.col("label") == pl.col("other")).then(pl.col("n")).otherwise(0)
                )
                * pl.col("records")
            ).alias("coincidences")
        )
        .group_by("m", "label", "other")
        .agg(pl.col("coincidences").sum())
        .sort("m", "label", "other")
    )
    at = {label: i for i, label in enumerate(categories)}
    observed = np.zeros((len(categories), len(categories)), dtype=np.float64)
    for (m,), block in unnormalized.partition_by("m", as_dict=True, maintain_order=True).items():
        weighted = np.zeros_like(observed)
        for label, other_label, value in block.select("label", "other", "coincidences").iter_rows():
            weighted[at[label], at[other_label]] = value
        observed += weighted / (m - 1)
    margins = observed.sum(axis=0)
    expected = (np.outer(margins, margins) - np.diagflat(margins)) / (margins.sum() - 1)
    distance = 1.0 - np.eye(len(categories))
    with np.errstate(divide="ignore", invalid="ignore"):
        return _defined(float(1 - (observed * distance).sum() / (expected * distance).sum()))


def _fleiss(long: pl.DataFrame, wanted: list[str]) -> tuple[float | None, int]:
    """Fleiss' kappa over the records every one of `wanted` labelled, and how many, as statsmodels'
    `fleiss_kappa(method="fleiss")` computes it, from integer sums over the patterns (the squares of each
    record's category counts, and each category's total) rather than an items x categories table."""
    if len(wanted) < 2:
        return None, 0
    votes = long.filter(pl.col("annotator").is_in(wanted))
    complete = votes.filter(pl.len().over("pattern") == len(wanted))
    items = int(complete.group_by("pattern").agg(pl.col("records").first())["records"].sum())
    categories = sorted(complete["label"].unique().to_list())
    if not items or len(categories) < 2:
        return None, items
    per_value = _value_counts(complete)
    squares = int((per_value["n"] ** 2 * per_value["records"]).sum())
    totals = per_value.group_by("label").agg((pl.col("n") * pl.col("records")).sum()).sort("label")
    raters = len(wanted)
    category_share = totals["n"].to_numpy().astype(np.float64) / (items * raters)
    mean_agreement = (squares - items * raters) / (raters * (raters - 1.0)) / items
    chance = float((category_share * category_share).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        return _defined((mean_agreement - chance) / (1 - chance)), items


def table_agreement(table: pl.DataFrame, llm: list[str], min_shared: int = 1) -> dict[str, Any]:
    """`source_agreement` over the votes `table` holds, `llm` the unconditional LLM annotators."""
    return pattern_agreement(vote_patterns(table), llm, min_shared)


def pattern_agreement(patterns: pl.DataFrame, llm: list[str], min_shared: int = 1) -> dict[str, Any]:
    """`source_agreement` over the records `patterns` counts (`vote_patterns`): Cohen's kappa per pair from
    the pair's contingency counts, Fleiss' kappa and Krippendorff's alpha from integer sums over patterns.
    Its cost grows with the number of distinct patterns, not with the number of records."""
    long = _long(patterns)
    annotators = sorted(long["annotator"].unique().to_list())
    wanted = sorted(llm)
    fleiss, fleiss_items = _fleiss(long, wanted) if all(a in annotators for a in wanted) else (None, 0)
    return {
        "cohen": _cohen(long, patterns["records"].to_numpy(), annotators, min_shared),
        "fleiss": _round(fleiss),
        "fleiss_items": fleiss_items,
        "fleiss_raters": len(wanted) if fleiss_items else None,
        "fleiss_annotators": wanted,
        "krippendorff_alpha": _round(_krippendorff(long, annotators)),
        "n_items": int(patterns["records"].sum()),
        "n_annotators": len(annotators),
    }
