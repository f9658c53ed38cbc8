"""Read any annotation file into `votes` (annotator -> {item -> label}) for the agreement statistics.

Accepted: CSV or Parquet with columns `item`, `annotator`, `label` (other columns ignored; an empty label is
an abstention), or a Label Studio JSON export (a list of tasks). An annotator who gave one item two
different labels makes the file ambiguous, and that is an error rather than a silent pick.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from gleaner.labeling.label_studio.export import parse_export

COLUMNS = ("item", "annotator", "label")


def _table(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".csv":
        return pl.read_csv(path, infer_schema=False)
    return pl.read_parquet(path)


def _rows_from_table(path: Path) -> list[tuple[str, str, str | None]]:
    frame = _table(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; expected {list(COLUMNS)}")
    frame = frame.select(pl.col(c).cast(pl.String) for c in COLUMNS)
    return [tuple(row) for row in frame.iter_rows()]


def _rows_from_label_studio(path: Path) -> list[tuple[str, str, str | None]]:
    tasks = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(tasks, list):
        raise ValueError(f"{path}: a Label Studio JSON export is a list of tasks")
    votes, _problems = parse_export(tasks, labels=None, from_name=None, task_id_fallback=True)
    return [(v["record_id"], v["annotator"], v["label"]) for v in votes]


def votes_from_rows(rows: Iterable[tuple[str | None, str | None, str | None]]) -> dict[str, dict[str, str]]:
    votes: dict[str, dict[str, str]] = {}
    for item, annotator, label in rows:
        if item is None or annotator is None or label is None or not label.strip():
            continue
        given = votes.setdefault(annotator, {})
        if given.get(item, label) != label:
            raise ValueError(f"annotator {annotator!r} labelled item {item!r} both {given[item]!r} and {label!r}")
        given[item] = label
    return votes


def read_annotations(path: Path) -> dict[str, dict[str, str]]:
    suffix = path.suffix.lower()
    if suffix == ".json":
        return votes_from_rows(_rows_from_label_studio(path))
    if suffix in (".csv", ".parquet", ".pq"):
        return votes_from_rows(_rows_from_table(path))
    raise ValueError(f"{path}: expected .csv, .parquet or a Label Studio .json export")
