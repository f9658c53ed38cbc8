"""Where every asset's Parquet lives, and the DuckDB catalog that makes it queryable by name."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import polars as pl

from gleaner import warehouse

DEFAULT_ROOT = ".gleaner/warehouse"


def default_root() -> str:
    return os.environ.get("GLEANER_WAREHOUSE", DEFAULT_ROOT)


class WarehouseResource(dg.ConfigurableResource):
    """Local Parquet + DuckDB warehouse; `root` defaults to `GLEANER_WAREHOUSE` or `.gleaner/warehouse`."""

    root: str = DEFAULT_ROOT

    @property
    def path(self) -> Path:
        return Path(self.root).resolve()

    @property
    def drops_root(self) -> Path:
        return Path(os.environ.get("GLEANER_DROPS", self.path.parent / "drops")).resolve()

    def write(self, asset: str, frame: pl.DataFrame, partition: dict[str, str] | None = None) -> Path:
        return warehouse.write_frame(self.path, asset, frame, partition)

    def read(self, asset: str, partition: dict[str, str] | None = None) -> pl.DataFrame | None:
        return warehouse.read_frame(self.path, asset, partition)

    def read_all(self, asset: str) -> pl.DataFrame | None:
        return warehouse.read_all(self.path, asset)

    def refresh_catalog(self, assets: list[str], versions: dict[str, list[str]] | None = None) -> list[str]:
        return warehouse.refresh_views(self.path, assets, versions)

    @property
    def catalog_path(self) -> Path:
        return self.path / warehouse.CATALOG
