"""Scrape drops: pages as WARC in a folder or under an S3 prefix, written by our crawler or anyone's scraper.

The public surface: writing and reading a drop, listing a source-day's complete drops, the `raw_pages` table
built from them, and what a drop watcher sees (scan, cursor, S3). The WARC details stay beneath.
"""

from gleaner.drops.cursor import DropCursor
from gleaner.drops.local import DropError, DropRef, check_drop, drop_path, list_complete_drops
from gleaner.drops.partition import (
    CRAWL_TAG,
    NoDropError,
    PartitionDrops,
    find_partition_drops,
    needs_crawl,
    partition_pages,
)
from gleaner.drops.s3 import check_s3, mirror_s3_drop, scan_s3, upload_drop
from gleaner.drops.scan import DropSighting, RefusedDrop, check_local, scan_local
from gleaner.drops.table import RAW_SCHEMA, raw_pages_table
from gleaner.drops.warc_read import read_drop
from gleaner.drops.warc_write import write_drop

__all__ = [
    "CRAWL_TAG",
    "NoDropError",
    "PartitionDrops",
    "find_partition_drops",
    "needs_crawl",
    "partition_pages",
    "RAW_SCHEMA",
    "DropCursor",
    "DropError",
    "DropRef",
    "DropSighting",
    "RefusedDrop",
    "check_drop",
    "check_s3",
    "check_local",
    "drop_path",
    "list_complete_drops",
    "mirror_s3_drop",
    "raw_pages_table",
    "read_drop",
    "scan_local",
    "scan_s3",
    "upload_drop",
    "write_drop",
]
