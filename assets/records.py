"""canonical_records and failed_records: every stored page ends as records, a counted 'none', or a failure.

The per-page work is `gleaner.extract.batch.extract_batch`, the same code `gleaner extract` runs on local
files; this module only reads the partition, writes the two tables and reports.
"""

from collections import Counter
from collections.abc import Iterator

import dagster as dg

from assets.metadata import table_metadata
from assets.partitioning import markdown_table, partition_of, with_partition
from assets.partitions import SOURCES, source_day_partitions
from assets.specs import stage
from gleaner.extract.batch import FAILED_SCHEMA, RECORD_SCHEMA, extract_batch, failures_frame, records_frame
from gleaner.extract.page import ExtractionSpec, StoredPage
from gleaner.progress import Progress
from gleaner.schemas import ProductReview
from resources.warehouse import WarehouseResource

RECONCILES = "pages_reconcile"


def review_column_schema() -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, str(RECORD_SCHEMA[name]), description=field.description)
            for name, field in ProductReview.model_fields.items()
        ]
    )


def failed_column_schema() -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in FAILED_SCHEMA.items()])


def _counts_table(counter: Counter[str]) -> dg.MetadataValue:
    return dg.MetadataValue.md(markdown_table([{"reason": k, "count": v} for k, v in counter.most_common()]))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "canonical_records",
            deps=["raw_pages"],
            description="Pydantic-validated product reviews, one row per review, ids stable across re-scrapes.",
            **stage("records", {"polars", "pydantic"}, code_version="2"),
        ),
        dg.AssetSpec(
            "failed_records",
            deps=["raw_pages"],
            description="Every page or candidate record that failed, with the stage, reason and offending input.",
            **stage("records", {"polars"}, code_version="2"),
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            RECONCILES,
            asset="canonical_records",
            blocking=True,
            description="pages in = pages that yielded records + pages with no records + pages that failed",
        )
    ],
    partitions_def=source_day_partitions,
)
def canonical_records(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    partition = partition_of(context)
    source = SOURCES[partition["source"]]
    pages = warehouse.read("raw_pages", partition)
    if pages is None:
        raise dg.Failure(f"raw_pages has no data for {partition}; materialize it first")

    progress = Progress(context.log.info, f"{partition['source']}: pages extracted", pages.height)

    def stored_pages() -> Iterator[StoredPage]:
        for row in pages.sort("canonical_url").iter_rows(named=True):
            yield StoredPage(
                source=partition["source"],
                url=row["canonical_url"],
                status=row["status"],
                html=row["html"],
                error=row["error"],
                fetched_at=row["fetched_at"],
            )
            progress.advance()

    batch = extract_batch(stored_pages(), ExtractionSpec.of(source))

    canonical = records_frame(batch.records.values())
    failed = failures_frame(batch.failures)
    warehouse.write("canonical_records", with_partition(canonical, partition), partition)
    warehouse.write("failed_records", with_partition(failed, partition), partition)
    warehouse.refresh_catalog(["canonical_records", "failed_records"])

    pages_in = pages.height
    counts = batch.counts()
    accounted = counts["pages_yielded"] + counts["pages_no_records"] + counts["pages_failed"]
    reasons = batch.failure_reasons()
    yield dg.MaterializeResult(
        asset_key="canonical_records",
        metadata={
            **table_metadata(
                canonical,
                ["record_id", "product_id", "rating", "language", "text"],
                schema=review_column_schema(),
            ),
            "pages_in": pages_in,
            "pages_yielded": counts["pages_yielded"],
            "pages_no_records": counts["pages_no_records"],
            "pages_failed": counts["pages_failed"],
            "no_record_reasons": _counts_table(batch.no_record_reasons),
            "failure_reasons": _counts_table(reasons),
            "extraction_notes": _counts_table(batch.notes),
            "by_extraction": dg.MetadataValue.json(
                dict(sorted(Counter(r.extraction or "unknown" for r in batch.records.values()).items()))
            ),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=RECONCILES,
                passed=accounted == pages_in,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"pages_in": pages_in, "accounted_for": accounted, **counts},
            )
        ],
    )
    yield dg.MaterializeResult(
        asset_key="failed_records",
        metadata={
            **table_metadata(failed, schema=failed_column_schema()),
            "failures_by_reason": _counts_table(reasons),
        },
    )
