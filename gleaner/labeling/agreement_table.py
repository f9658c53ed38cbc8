"""Source agreement from a compact vote table that is built per partition and combined by concatenation.

`source_agreement` walks every vote row of every partition in Python, which at a few hundred thousand rows
is the slowest part of building a candidate, and a candidate built again after one new partition walked
them all again. Here each partition's vote rows become, once, its *vote table*: one row per (record,
source) with the label that source finally gave there (the rows `source_votes` keeps: no resolved row, no
conditional LLM vote, no abstention; a later row of the same source for the same record wins), plus the
partition's unconditional LLM annotators. A candidate keeps the tables of the partitions it has seen
(`gleaner.dataset.candidate_state`) and builds only those of new or changed partitions.

Why per-record rows rather than only contingency counts per source pair and partition: summed counts
give the same Cohen's kappa only while no record has votes in two partitions (a re-scrape must count once,
with its later votes), and Fleiss' kappa and Krippendorff's alpha sum floats over items in record order.
So the stored unit is the record's final vote per source, and the counts are derived from the combined
table at each build: Cohen's kappa per pair from the pair's contingency counts (a group-by, then
`cohen_kappa_counts`), Fleiss' kappa from an items x categories count table built by columns, alpha from
the same annotators x items matrix `krippendorff_alpha` builds. Items in record order and annotators in
name order, as `agreement_report` orders them from `votes`, so the figures are the same bits, not merely
the same to four digits (tests/labeling/test_agreement_table.py), and no Python loop runs over vote rows
or records: about 2.5 s for a million records with four sources on the 2-core dev machine, where feeding
the same library calls item by item took 14 s (and `source_agreement`'s row walk comes on top).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import polars as pl

from gleaner.labeling.agreement import DIGITS, _round, cohen_kappa_counts, fleiss_table, krippendorff_alpha_matrix

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


def _wide(table: pl.DataFrame, annotators: list[str]) -> pl.DataFrame:
    """record_id and one label column per annotator (null where it gave none), sorted by record_id."""
    if table.is_empty():
        return pl.DataFrame(schema={"record_id": pl.String, **dict.fromkeys(annotators, pl.String)})
    wide = table.pivot(on="annotator", index="record_id", values="label", sort_columns=True)
    missing = [pl.lit(None, pl.String).alias(a) for a in annotators if a not in wide.columns]
    return wide.with_columns(missing).select("record_id", *annotators).sort("record_id")


def _krippendorff(wide: pl.DataFrame, annotators: list[str]) -> float | None:
    labels = wide.select(annotators)
    categories = sorted(labels.unpivot()["value"].drop_nulls().unique().to_list())
    code = {label: float(i) for i, label in enumerate(categories)}
    if len(categories) < 2 or len(annotators) < 2:
        return None
    matrix = np.array(
        [labels[a].replace_strict(code, default=None, return_dtype=pl.Float64).fill_null(np.nan) for a in annotators]
    )
    return krippendorff_alpha_matrix(matrix, list(code.values()))


def _fleiss(wide: pl.DataFrame, wanted: list[str]) -> tuple[float | None, int]:
    """Fleiss' kappa over the records every one of `wanted` labelled, and how many: the items x categories
    count table `fleiss` builds from their label lists, built by columns in the same (record) order."""
    if len(wanted) < 2 or not all(a in wide.columns for a in wanted):
        return None, 0
    rated = wide.select(wanted).drop_nulls()
    categories = sorted(rated.unpivot()["value"].unique().to_list())
    if rated.is_empty() or len(categories) < 2:
        return None, rated.height
    counts = np.column_stack(
        [rated.select(pl.sum_horizontal(pl.col(wanted) == c))[:, 0].to_numpy().astype(int) for c in categories]
    )
    return fleiss_table(counts), rated.height


def table_agreement(table: pl.DataFrame, llm: list[str], min_shared: int = 1) -> dict[str, Any]:
    """`source_agreement` over the votes `table` holds, `llm` the unconditional LLM annotators. Cohen's
    kappa per pair comes from the pair's contingency counts, Fleiss' and Krippendorff's from column
    operations over the records: no Python loop over records or votes."""
    annotators = sorted(table["annotator"].unique().to_list())
    wide = _wide(table, annotators)
    cohen = {}
    for left, right in combinations(annotators, 2):
        shared = wide.select(left, right).drop_nulls()
        if shared.is_empty() or shared.height < min_shared:
            continue
        counts = shared.group_by(left, right).len().sort(left, right)
        agreeing = int(counts.filter(pl.col(left) == pl.col(right))["len"].sum())
        kappa = cohen_kappa_counts(counts[left].to_list(), counts[right].to_list(), counts["len"].to_list())
        cohen[f"{left} ~ {right}"] = {
            "left": left,
            "right": right,
            "n_shared": shared.height,
            "observed_agreement": round(agreeing / shared.height, DIGITS),
            "kappa": _round(kappa),
        }
    wanted = sorted(llm)
    fleiss, fleiss_items = _fleiss(wide, wanted)
    return {
        "cohen": cohen,
        "fleiss": _round(fleiss),
        "fleiss_items": fleiss_items,
        "fleiss_raters": len(wanted) if fleiss_items else None,
        "fleiss_annotators": wanted,
        "krippendorff_alpha": _round(_krippendorff(wide, annotators)),
        "n_items": wide.height,
        "n_annotators": len(annotators),
    }
