"""The datasets this code location builds: every file in `GLEANER_DATASETS` (default `config/datasets/`),
loaded and validated when the definitions load, so a broken file stops the location with one line naming the
file and the field, and a new file shows up after *Reload definitions*.

Each dataset's assets share the `raw_pages` asset and carry the dataset's name as their key prefix
(`review_sentiment/labels`); their warehouse tables are named the same way (`review_sentiment/labels/...`).
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from dagster_project.lib.partitions import SOURCES
from gleaner.datasets import DatasetSpec, extractor_base, load_datasets

DEFAULT_DATASET = "review_sentiment"  # the dataset `training_data_vN` (no prefix) has always meant


def datasets_dir() -> Path | None:
    folder = os.environ.get("GLEANER_DATASETS")
    return Path(folder).resolve() if folder else None


DATASETS: dict[str, DatasetSpec] = load_datasets(datasets_dir(), sources=SOURCES)


def _extractable(spec: DatasetSpec) -> bool:
    try:
        extractor_base(spec.record_model)
    except ValueError:
        return False
    return True


# The datasets whose records an extractor builds (every built-in record type once product pages land).
EXTRACTED = {name: spec for name, spec in DATASETS.items() if _extractable(spec)}


def key(spec: DatasetSpec, asset: str) -> dg.AssetKey:
    return dg.AssetKey([spec.name, asset])


def table(spec: DatasetSpec, asset: str) -> str:
    """The warehouse table of one of the dataset's assets."""
    return f"{spec.name}/{asset}"


def reads_source(spec: DatasetSpec, source: str) -> bool:
    return source in spec.sources
