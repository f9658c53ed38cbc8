"""raw_pages: one row per fetched page of a source-day, from its scrape drops (crawling first if none)."""

import hashlib
from collections import Counter

import dagster as dg
import polars as pl

from assets.metadata import table_metadata
from assets.partitioning import markdown_table, partition_of, with_partition
from assets.partitions import SOURCES, source_day_partitions
from assets.specs import stage
from gleaner.crawl.crawler import CrawlStats
from gleaner.crawl.to_drop import crawl_to_drop
from gleaner.drops.local import read_drop
from resources.browser import BrowserResource
from resources.drops import DropsResource
from resources.warehouse import WarehouseResource

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


class RawPagesConfig(dg.Config):
    recrawl: bool = False  # crawl again even when a drop for this source-day exists


@dg.asset(
    partitions_def=source_day_partitions,
    description="Every fetched page of one source on one day: requested, final and canonical URL, HTTP "
    "status, fetch time, rendered HTML, content hash and error. Read from the day's complete scrape drops; "
    "when there are none the source is crawled (resuming an interrupted crawl of the partition) and written "
    "as a drop first.",
    **stage("ingest", {"playwright", "polars"}, code_version="1"),
)
def raw_pages(
    context: dg.AssetExecutionContext,
    config: RawPagesConfig,
    warehouse: WarehouseResource,
    browser: BrowserResource,
    drops: DropsResource,
) -> dg.MaterializeResult:
    partition = partition_of(context)
    source = SOURCES[partition["source"]]
    found = drops.complete_drops(source.name, partition["date"])
    crawl_stats = None
    if not found or config.recrawl:
        drop_id = f"crawl-{len(found) + 1:03d}"  # the same id again after a killed run: its spool resumes
        context.log.info(f"crawling {source.name} ({source.render} mode) into drop {drop_id}")
        crawl_stats = CrawlStats()
        crawl_to_drop(
            source, drops.local_root, partition["date"], drop_id,
            log=context.log, stats=crawl_stats, browser=browser.settings(),
        )  # fmt: skip
        kept_at = drops.keep_crawled(source.name, partition["date"], drop_id)
        context.log.info(f"crawl stored as drop {kept_at}")
        found = drops.complete_drops(source.name, partition["date"])

    rows = []
    for drop in found:
        for page in read_drop(drop.path):
            rows.append(
                {
                    "drop_id": drop.drop_id,
                    "requested_url": page.requested_url,
                    "final_url": page.final_url,
                    "canonical_url": page.canonical_url,
                    "status": page.status,
                    "fetched_at": page.fetched_at,
                    "content_type": page.content_type,
                    "html": page.html,
                    "content_hash": hashlib.sha256(page.html.encode()).hexdigest() if page.html else None,
                    "error": page.error,
                }
            )
    frame = pl.DataFrame(rows, schema=RAW_SCHEMA, orient="row").sort(["canonical_url", "drop_id", "requested_url"])
    warehouse.write("raw_pages", with_partition(frame, partition), partition)
    warehouse.refresh_catalog(["raw_pages"])
    statuses = Counter(str(s) for s in frame["status"].to_list())
    errors = Counter(e for e in frame["error"].to_list() if e)
    crawled = {"crawl": dg.MetadataValue.json(crawl_stats.as_dict())} if crawl_stats else {}
    return dg.MaterializeResult(
        metadata={
            **crawled,
            **table_metadata(frame, ["canonical_url", "status", "fetched_at", "content_type", "error"]),
            "drops": dg.MetadataValue.json([d.drop_id for d in found]),
            "pages_failed": sum(errors.values()),
            "http_status": dg.MetadataValue.md(
                markdown_table([{"status": k, "pages": v} for k, v in sorted(statuses.items())])
            ),
            "errors": dg.MetadataValue.md(markdown_table([{"error": k, "pages": v} for k, v in errors.items()])),
        }
    )
