"""Dedup of any Parquet file through the same ``gleaner.dedup.kernel.dedup`` the pipeline runs.

This is what ``gleaner dedup INPUT.parquet OUTDIR ...`` calls, so a data engineer can check a dedup
decision on an export, or on a file from somewhere else entirely, without the warehouse or Dagster.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from gleaner.dedup.kernel import dedup

KEPT_FILE = "kept.parquet"
NEAR_DUPLICATES_FILE = "near_duplicates.parquet"


@dataclass(frozen=True)
class DedupSummary:
    input_rows: int
    kept_rows: int
    exact_removed: int
    near_removed: int
    kept_path: Path
    near_duplicates_path: Path
    seconds: float


def dedup_parquet(
    input_path: str | os.PathLike,
    outdir: str | os.PathLike,
    id_col: str,
    text_col: str,
    time_col: str | None = None,
    threshold: float = 0.8,
) -> DedupSummary:
    """Write ``OUTDIR/kept.parquet`` and ``OUTDIR/near_duplicates.parquet`` for one input file.

    ``kept.parquet`` holds the kept input rows, every column unchanged, plus ``cluster_id`` (replacing any
    column of that name, so a previous output can be deduplicated again), sorted by the id column. Two kept
    rows share a ``cluster_id`` when a chain of near duplicates joins them (split by it to avoid leaks).
    ``near_duplicates.parquet`` has one row per removed record: removed_id, kept_id, jaccard, kind
    ('exact' or 'near') and est_jaccard (the MinHash estimate), sorted by removed_id.
    """
    start = time.perf_counter()
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if not Path(input_path).is_file():
        raise FileNotFoundError(f"{os.fspath(input_path)} does not exist (or is not a file)")
    try:
        frame = pl.read_parquet(input_path)
    except (pl.exceptions.PolarsError, OSError) as exc:  # a CSV named .parquet, a truncated file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"{os.fspath(input_path)} is not a readable Parquet file ({first})") from exc
    missing = [c for c in (id_col, text_col, time_col) if c is not None and c not in frame.columns]
    if missing:
        raise ValueError(f"{os.fspath(input_path)} has no column(s) {', '.join(missing)}; found {frame.columns}")
    if frame.schema[text_col] not in (pl.String, pl.Null):
        raise ValueError(f"text column {text_col!r} is {frame.schema[text_col]}, not a string column")
    repeated = frame[id_col].filter(frame[id_col].is_duplicated()).unique().sort()
    if repeated.len():
        raise ValueError(
            f"id column {id_col!r} repeats {repeated.len()} value(s), e.g. {repeated.head(3).to_list()}: "
            "each row needs its own id (the removal log refers to rows by it)"
        )
    if frame[id_col].null_count():
        raise ValueError(f"id column {id_col!r} has {frame[id_col].null_count()} empty value(s)")
    result = dedup(frame[id_col], frame[text_col], frame[time_col] if time_col else None, threshold)

    kept_ids = pl.Series(id_col, result.kept_ids, dtype=frame.schema[id_col])
    clusters = pl.DataFrame(
        {id_col: kept_ids, "cluster_id": [result.cluster_of[i] for i in result.kept_ids]},
        schema={id_col: frame.schema[id_col], "cluster_id": frame.schema[id_col]},
    )
    kept = frame.drop("cluster_id", strict=False).join(clusters, on=id_col, how="inner").sort(id_col)
    removals = result.removals.select("removed_id", "kept_id", "jaccard", "kind", "est_jaccard")

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    kept_path, near_path = out / KEPT_FILE, out / NEAR_DUPLICATES_FILE
    kept.write_parquet(kept_path)
    removals.write_parquet(near_path)
    return DedupSummary(
        input_rows=frame.height,
        kept_rows=kept.height,
        exact_removed=result.exact_removed,
        near_removed=result.near_removed,
        kept_path=kept_path,
        near_duplicates_path=near_path,
        seconds=time.perf_counter() - start,
    )
