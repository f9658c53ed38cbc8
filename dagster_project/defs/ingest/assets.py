"""raw_pages: one row per fetched page of a source-day, from its scrape drops (crawling first if none)."""

from collections import Counter

import dagster as dg

from dagster_project.lib.metadata import markdown_table, table_metadata
from dagster_project.lib.partitions import SOURCES, partition_of, source_day_partitions, with_partition
from dagster_project.lib.specs import stage
from dagster_project.resources.browser import BrowserResource
from dagster_project.resources.drops import DropsResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.crawl import CrawlStats, crawl_to_drop
from gleaner.drops import CRAWL_TAG, find_partition_drops, needs_crawl, raw_pages_table


class RawPagesConfig(dg.Config):
    recrawl: bool = False  # crawl again even when a drop for this source-day exists


@dg.asset(
    partitions_def=source_day_partitions,
    description="Every fetched page of one source on one day: requested, final and canonical URL, HTTP "
    "status, fetch time, rendered HTML, content hash and error. Read from the day's complete scrape drops; "
    "when there are none and a crawl was asked for (run tag gleaner/crawl=true) the source is crawled "
    "(resuming an interrupted crawl of the partition) and written as a drop first.",
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
    drops.complete_drops(source.name, partition["date"])  # brings S3 drops into the local folder
    found = find_partition_drops(drops.local_root, source.name, partition["date"])
    for problem in found.problems():
        context.log.warning(problem)
    crawl_stats = None
    if needs_crawl(found, context.run.tags.get(CRAWL_TAG) == "true", config.recrawl):
        drop_id = f"crawl-{len(found.usable) + len(found.refused) + 1:03d}"  # the same id after a killed run
        context.log.info(f"crawling {source.name} ({source.render} mode) into drop {drop_id}")
        crawl_stats = CrawlStats()
        crawl_to_drop(
            source, drops.local_root, partition["date"], drop_id,
            log=context.log, stats=crawl_stats, browser=browser.settings(),
        )  # fmt: skip
        kept_at = drops.keep_crawled(source.name, partition["date"], drop_id)
        context.log.info(f"crawl stored as drop {kept_at}")
        found = find_partition_drops(drops.local_root, source.name, partition["date"])

    frame = raw_pages_table(found)
    warehouse.write("raw_pages", with_partition(frame, partition), partition)
    warehouse.refresh_catalog(["raw_pages"])
    statuses = Counter(str(s) for s in frame["status"].to_list())
    errors = Counter(e for e in frame["error"].to_list() if e)
    crawled = {"crawl": dg.MetadataValue.json(crawl_stats.as_dict())} if crawl_stats else {}
    return dg.MaterializeResult(
        metadata={
            **crawled,
            **table_metadata(frame, ["canonical_url", "status", "fetched_at", "content_type", "error"]),
            "drops": dg.MetadataValue.json([d.drop_id for d in found.usable]),
            "drops_refused": dg.MetadataValue.json([f"{r.name}: {r.reason}" for r in found.refused]),
            "pages_failed": sum(errors.values()),
            "http_status": dg.MetadataValue.md(
                markdown_table([{"status": k, "pages": v} for k, v in sorted(statuses.items())])
            ),
            "errors": dg.MetadataValue.md(markdown_table([{"error": k, "pages": v} for k, v in errors.items()])),
        }
    )
