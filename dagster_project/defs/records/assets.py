"""canonical_records and failed_records: every stored page ends as records, a counted 'none', or a failure.

The per-page work is `gleaner.extract.batch.extract_batch`, the same code `gleaner extract` runs on local
files; this module only reads the partition, writes the two tables and reports.
"""

from collections import Counter

import dagster as dg

from dagster_project.lib.metadata import markdown_table, table_metadata
from dagster_project.lib.partitions import SOURCES, partition_of, source_day_partitions, with_partition
from dagster_project.lib.specs import stage
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.extract import FAILED_SCHEMA, RECORD_SCHEMA, extract_partition
from gleaner.progress import Progress
from gleaner.schemas import ProductReview

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
    pages = warehouse.read_required("raw_pages", partition)
    progress = Progress(context.log.info, f"{partition['source']}: pages extracted", pages.height)
    result = extract_partition(pages, SOURCES[partition["source"]], on_page=progress.advance)
    batch, canonical, failed = result.batch, result.records, result.failures
    warehouse.write("canonical_records", with_partition(canonical, partition), partition)
    warehouse.write("failed_records", with_partition(failed, partition), partition)
    warehouse.refresh_catalog(["canonical_records", "failed_records"])

    counts, reasons = batch.counts(), batch.failure_reasons()
    yield dg.MaterializeResult(
        asset_key="canonical_records",
        metadata={
            **table_metadata(
                canonical,
                ["record_id", "product_id", "rating", "language", "text"],
                schema=review_column_schema(),
            ),
            "pages_in": counts["pages_in"],
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
                passed=result.reconciles,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={
                    "accounted_for": counts["pages_yielded"] + counts["pages_no_records"] + counts["pages_failed"],
                    **counts,
                },
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
