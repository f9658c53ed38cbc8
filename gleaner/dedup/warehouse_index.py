"""The warehouse's answer to dedup's `KeptRecords`: what other partitions kept, read by id, never loaded whole.

`deduped_records` of every partition and the band index (`dedup_index`, one row of band hashes per kept
record) are Parquet in the warehouse; DuckDB reads only the rows asked for, so checking a partition costs
what it matches, not what the warehouse holds.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from gleaner.dedup.lsh import find_prior_candidates
from gleaner.dedup.partition import KEPT_SCHEMA
from gleaner.storage.backends import Store
from gleaner.storage.warehouse import asset_glob, has_data, partition_dir, query, select_frame

KEPT_ASSET = "deduped_records"
INDEX_ASSET = "dedup_index"


class WarehouseKeptRecords:
    """`KeptRecords` over a warehouse, seen from one partition (whose own files are not 'elsewhere')."""

    def __init__(self, root: Store | Path, partition: dict[str, str], dataset: str | None = None):
        """`dataset`: whose tables (`<dataset>/deduped_records`, `<dataset>/dedup_index`); None: top level."""
        self.root = root
        self.partition = partition
        self.kept_table = f"{dataset}/{KEPT_ASSET}" if dataset else KEPT_ASSET
        self.index_table = f"{dataset}/{INDEX_ASSET}" if dataset else INDEX_ASSET

    def kept_elsewhere(self, ids: list[str]) -> pl.DataFrame:
        if not ids or not has_data(self.root, self.kept_table):
            return pl.DataFrame(schema=KEPT_SCHEMA)
        own = str(partition_dir(self.root, self.kept_table, self.partition)) + "/"
        with query(self.root) as con:
            found = select_frame(
                con,
                "SELECT record_id, text, scraped_at FROM read_parquet(?, filename = true) "
                "WHERE record_id IN (SELECT unnest(?)) AND NOT starts_with(filename, ?)",
                [asset_glob(self.root, self.kept_table), ids, own],
                KEPT_SCHEMA,
            )
        return found.sort(list(KEPT_SCHEMA))  # one order whatever order the files were read in

    def prior_candidates(self, bands: pl.DataFrame) -> list[str]:
        if not has_data(self.root, self.index_table):
            return []
        with query(self.root) as con:
            # the partition's own earlier index rows match too; dedup drops ids it was given itself
            return find_prior_candidates(con, asset_glob(self.root, self.index_table), bands)
