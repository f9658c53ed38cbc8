"""Scrape drops: pages as WARC in a folder or under an S3 prefix, written by our crawler or anyone's scraper.

The public surface: writing and reading a drop, listing a source-day's complete drops, the `raw_pages` table
built from them, and what a drop watcher sees (scan, cursor, S3). The WARC details stay beneath.
"""

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "cursor": ("DropCursor",),
        "local": ("DropError", "DropRef", "check_drop", "drop_path", "list_complete_drops"),
        "partition": (
            "CRAWL_TAG",
            "NoDropError",
            "PartitionDrops",
            "find_partition_drops",
            "needs_crawl",
            "partition_pages",
        ),
        "s3": ("check_s3", "mirror_s3_drop", "scan_s3", "upload_drop"),
        "scan": ("DropSighting", "RefusedDrop", "check_local", "scan_local"),
        "table": ("RAW_SCHEMA", "raw_pages_table"),
        "warc_read": ("read_drop",),
        "warc_write": ("write_drop",),
    },
)
