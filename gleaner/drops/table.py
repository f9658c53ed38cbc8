"""A source-day's drops as one `raw_pages` table: one row per page, whichever drop it came in, plus one
row (an error starting ``drop: ``) per refused drop and per byte range that could not be read as pages.

Rows are ordered by canonical URL, then drop and requested URL, so the table's bytes do not depend on the
order drops were listed or pages were written.
"""

from __future__ import annotations

import polars as pl

from gleaner.drops.partition import PartitionDrops, partition_pages

RAW_SCHEMA = {
    "drop_id": pl.String,
    "requested_url": pl.String,
    "final_url": pl.String,
    "canonical_url": pl.String,
    "status": pl.Int64,
    "fetched_at": pl.Datetime("us", "UTC"),
    "content_type": pl.String,
    "html": pl.String,
    "content_hash": pl.String,
    "error": pl.String,
}


def raw_pages_table(found: PartitionDrops) -> pl.DataFrame:
    rows = [{"drop_id": drop_id, **page.to_row()} for drop_id, page in partition_pages(found)]
    return pl.DataFrame(rows, schema=RAW_SCHEMA, orient="row").sort(["canonical_url", "drop_id", "requested_url"])
