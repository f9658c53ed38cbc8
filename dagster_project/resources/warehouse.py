"""Where every asset's Parquet lives, and the DuckDB catalog that makes it queryable by name.

`GLEANER_WAREHOUSE` picks the backend: a folder (default `.gleaner/warehouse`) or `s3://bucket/prefix`
(`warehouse_from_env`). Assets only use the methods here, never paths, so they run unchanged on both.
With S3, what cannot live in a bucket stays in a local state folder (`GLEANER_STATE`, default
`.gleaner/state`): the DuckDB catalog file (`GLEANER_CATALOG` overrides) and the LLM answer cache.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl

from gleaner.storage import LocalStore, Store, parse_s3_url, warehouse, warehouse_versions

DEFAULT_ROOT = ".gleaner/warehouse"
DEFAULT_STATE = ".gleaner/state"


def default_root() -> str:
    return os.environ.get("GLEANER_WAREHOUSE", DEFAULT_ROOT)


def default_drops_dir() -> Path:
    """`GLEANER_DROPS`, else `drops` beside a local warehouse, or in the local state folder with S3."""
    if os.environ.get("GLEANER_DROPS"):
        return Path(os.environ["GLEANER_DROPS"]).resolve()
    root = default_root()
    if root.startswith("s3://"):
        return Path(os.environ.get("GLEANER_STATE", DEFAULT_STATE)).resolve() / "drops"
    return Path(root).resolve().parent / "drops"


class WarehouseResource(dg.ConfigurableResource):
    """Local Parquet + DuckDB warehouse; `root` defaults to `GLEANER_WAREHOUSE` or `.gleaner/warehouse`."""

    root: str = DEFAULT_ROOT
    catalog: str | None = None  # the DuckDB catalog file; None: <root>/catalog.duckdb
    # whose versions the catalog also names `training_data_vN`, as it did before there were datasets
    default_dataset: str = "review_sentiment"

    @property
    def store(self) -> Store:
        return LocalStore(self.root)

    @property
    def path(self) -> Path:
        """The local folder (local warehouse only; assets use the methods below instead)."""
        return Path(self.root).resolve()

    @property
    def location(self) -> str:
        return self.store.url

    @property
    def catalog_path(self) -> Path:
        return Path(self.catalog).resolve() if self.catalog else self.path / warehouse.CATALOG

    def scratch_dir(self, name: str) -> Path:
        """A local folder for caches that are no asset (the LLM answer cache)."""
        return self.path / name

    # -- frames --------------------------------------------------------------------------------------
    def write(self, asset: str, frame: pl.DataFrame, partition: dict[str, str] | None = None) -> Path | str:
        return warehouse.write_frame(self.store, asset, frame, partition)

    def read(self, asset: str, partition: dict[str, str] | None = None) -> pl.DataFrame | None:
        return warehouse.read_frame(self.store, asset, partition)

    def write_with_version(self, asset: str, frame: pl.DataFrame, partition: dict[str, str] | None = None) -> str:
        """`write`, returning the sha256 of the bytes written (the partition's data version)."""
        return warehouse.write_frame_with_version(self.store, asset, frame, partition)

    def read_with_version(
        self, asset: str, partition: dict[str, str] | None = None
    ) -> tuple[pl.DataFrame | None, str | None]:
        """`read` plus the sha256 of the bytes read; (None, None) when there is nothing."""
        return warehouse.read_frame_with_version(self.store, asset, partition)

    def read_required(self, asset: str, partition: dict[str, str] | None = None) -> pl.DataFrame:
        """An upstream asset's rows; a clear failure naming what to run when it was never materialized."""
        frame = self.read(asset, partition)
        if frame is None:
            where = f" for {partition}" if partition else ""
            raise dg.Failure(f"{asset} has no data{where}; materialize it first")
        return frame

    def read_all(self, asset: str, missing: str | None = None) -> pl.DataFrame | None:
        """Every partition's rows; with `missing`, no rows at all is a failure saying `<asset> <missing>`."""
        return self._present(warehouse.read_all(self.store, asset), asset, missing)

    def read_matching(
        self, asset: str, column: str, values: Collection[str], columns: list[str] | None = None
    ) -> pl.DataFrame | None:
        """Every partition's rows whose `column` is one of `values` (`gleaner.labeling.history.Tables`), in
        `columns` when given."""
        return warehouse.read_matching(self.store, asset, column, values, columns)

    @staticmethod
    def _present(frame: pl.DataFrame | None, asset: str, missing: str | None) -> pl.DataFrame | None:
        if missing is not None and (frame is None or frame.is_empty()):
            raise dg.Failure(f"{asset} {missing}")
        return frame

    def has_data(self, asset: str) -> bool:
        return warehouse.has_data(self.store, asset)

    def asset_glob(self, asset: str) -> str:
        return warehouse.asset_glob(self.store, asset)

    def partition_location(self, asset: str, partition: dict[str, str] | None) -> str:
        return str(warehouse.partition_dir(self.store, asset, partition))

    def read_all_with_versions(
        self, asset: str, missing: str | None = None, keep: pl.Expr | None = None
    ) -> tuple[pl.DataFrame | None, dict[str, str]]:
        """Every partition's rows (those `keep` selects, when given) and each partition's data version."""
        frame, versions = warehouse.read_all_with_versions(self.store, asset, keep)
        return self._present(frame, asset, missing), versions

    def partition_data_versions(self, asset: str) -> dict[str, str]:
        return warehouse.partition_data_versions(self.store, asset)

    def read_partitions(self, asset: str, partitions: list[str]) -> pl.DataFrame | None:
        """Some partitions' rows (keys as `partition_data_versions` names them), in key order."""
        return warehouse.read_partitions(self.store, asset, partitions)

    # -- other files ---------------------------------------------------------------------------------
    def write_file(self, key: str, data: bytes) -> str:
        return self.store.write_bytes(key, data)

    def write_json(self, key: str, value: Any) -> str:
        return self.write_file(key, json.dumps(value, indent=2, sort_keys=True).encode("utf-8"))

    def read_json(self, key: str) -> Any:
        return json.loads(self.store.read_bytes(key).decode("utf-8"))

    def versions(self, dataset: str) -> Store:
        """A dataset's published versions' folder (`training_data/<dataset>/vN/...`)."""
        return warehouse_versions(self.store, f"{warehouse.VERSIONS_DIR}/{dataset}")

    # -- DuckDB --------------------------------------------------------------------------------------
    @contextmanager
    def query(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """An in-memory DuckDB connection able to read `asset_glob(...)` on this backend."""
        with warehouse.query(self.store) as con:
            yield con

    def connect_catalog(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """The catalog's views, ready to query on this backend (httpfs + a session-only secret on S3)."""
        return warehouse.connect_catalog(self.store, catalog_path=self.catalog_path, read_only=read_only)

    def refresh_catalog(
        self, assets: list[str] | None = None, versions: dict[str, list[str]] | None = None
    ) -> list[str]:
        return warehouse.refresh_views(
            self.store, assets, versions, catalog_path=self.catalog_path, default_dataset=self.default_dataset
        )


def warehouse_from_env() -> WarehouseResource:
    """`GLEANER_WAREHOUSE`: a folder, or `s3://bucket/prefix` (endpoint and credentials the usual AWS way)."""
    root = default_root()
    catalog = os.environ.get("GLEANER_CATALOG")
    if not root.startswith("s3://"):
        return WarehouseResource(root=root, catalog=catalog)
    parse_s3_url(root)  # fail early on a malformed URL
    from dagster_aws.s3 import S3Resource

    from dagster_project.resources.s3 import S3WarehouseResource

    return S3WarehouseResource(
        root=root,
        catalog=catalog,
        state_dir=os.environ.get("GLEANER_STATE", DEFAULT_STATE),
        s3=S3Resource(endpoint_url=os.environ.get("AWS_ENDPOINT_URL")),
    )


def __getattr__(name: str) -> Any:
    """`S3WarehouseResource` lives in `dagster_project.resources.s3`, so that dagster-aws and boto3 (a
    second of imports) load only when the warehouse is on S3; it is still importable from here."""
    if name == "S3WarehouseResource":
        from dagster_project.resources import s3

        return s3.S3WarehouseResource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
