"""The warehouse layout: Hive-style Parquet per asset and partition, plus a DuckDB catalog of views.

`canonical_records/source=acme/date=2026-11-20/part-0.parquet`. Files are written to a temporary name
and renamed, so a reader never sees half a file, and rows are written in a fixed order so the same
partition always gives the same bytes.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import polars as pl

CATALOG = "catalog.duckdb"
PART = "part-0.parquet"


def partition_dir(root: Path, asset: str, partition: dict[str, str] | None) -> Path:
    path = root / asset
    for key, value in sorted((partition or {}).items(), key=lambda kv: kv[0] != "source"):
        path = path / f"{key}={value}"
    return path


def write_frame(root: Path, asset: str, frame: pl.DataFrame, partition: dict[str, str] | None = None) -> Path:
    target = partition_dir(root, asset, partition) / PART
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    frame.write_parquet(tmp, compression="zstd", statistics=True)
    os.replace(tmp, target)
    return target


def read_frame(root: Path, asset: str, partition: dict[str, str] | None = None) -> pl.DataFrame | None:
    path = partition_dir(root, asset, partition) / PART
    return pl.read_parquet(path) if path.exists() else None


def asset_glob(root: Path, asset: str) -> str:
    return str(root / asset / "**" / "*.parquet")


def has_data(root: Path, asset: str) -> bool:
    return any((root / asset).glob("**/*.parquet")) if (root / asset).exists() else False


def read_all(root: Path, asset: str) -> pl.DataFrame | None:
    """Every materialized partition of an asset; partition columns come from the files themselves."""
    if not has_data(root, asset):
        return None
    files = sorted((root / asset).glob("**/*.parquet"))
    return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")


def connect_catalog(root: Path, attempts: int = 50) -> duckdb.DuckDBPyConnection:
    """DuckDB allows one writer process; runs in parallel wait their turn instead of failing."""
    root.mkdir(parents=True, exist_ok=True)
    for attempt in range(attempts):
        try:
            return duckdb.connect(str(root / CATALOG))
        except duckdb.IOException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2)
    raise AssertionError("unreachable")


def refresh_views(root: Path, assets: list[str], versions: dict[str, list[str]] | None = None) -> list[str]:
    """(Re)create a view per asset with data and one per published version; returns the view names."""
    created = []
    with connect_catalog(root) as con:
        for asset in assets:
            if has_data(root, asset):
                pattern = asset_glob(root, asset).replace("'", "''")
                con.execute(
                    f"CREATE OR REPLACE VIEW {asset} AS SELECT * FROM "
                    f"read_parquet('{pattern}', hive_partitioning = false, union_by_name = true)"
                )
                created.append(asset)
        for view, files in (versions or {}).items():
            paths = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            con.execute(
                f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM read_parquet([{paths}], union_by_name = true)"
            )
            created.append(view)
    return created
