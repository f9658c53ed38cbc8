"""canonical_records and failed_records: every stored page ends as records, a counted 'none', or a failure."""


from collections import Counter

import dagster as dg
import polars as pl

from assets.partitioning import markdown_table, partition_of, with_partition
from assets.partitions import SOURCES, source_day_partitions
from gleaner.extract import StoredPage, extract_page
from gleaner.schemas import ProductReview
from resources.warehouse import WarehouseResource

FAILED_SCHEMA = {
    "source": pl.String,
    "page_url": pl.String,
    "stage": pl.String,
    "reason": pl.String,
    "offending": pl.String,
}

RECONCILES = "pages_reconcile"


def review_column_schema() -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, str(field.annotation), description=field.description)
            for name, field in ProductReview.model_fields.items()
        ]
    )


def records_frame(records: list[ProductReview]) -> pl.DataFrame:
    rows = [r.model_dump() for r in records]
    schema = {
        "record_id": pl.String,
        "review_id": pl.String,
        "product_id": pl.String,
        "source": pl.String,
        "page_url": pl.String,
        "scraped_at": pl.Datetime("us", "UTC"),
        "text": pl.String,
        "rating": pl.Float64,
        "rating_scale": pl.Float64,
        "author": pl.String,
        "published": pl.String,
        "language": pl.String,
        "word_count": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row").sort("record_id")


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "canonical_records",
            deps=["raw_pages"],
            description="Pydantic-validated product reviews, one row per review, ids stable across re-scrapes.",
            kinds={"polars", "pydantic"},
            group_name="records",
            code_version="1",
        ),
        dg.AssetSpec(
            "failed_records",
            deps=["raw_pages"],
            description="Every page or candidate record that failed, with the stage, reason and offending input.",
            kinds={"polars"},
            group_name="records",
            code_version="1",
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

    records: dict[str, ProductReview] = {}
    failures: list[dict] = []
    outcomes: Counter[str] = Counter()
    no_record_reasons: Counter[str] = Counter()
    for row in pages.sort("canonical_url").iter_rows(named=True):
        page = StoredPage(
            source=partition["source"],
            url=row["canonical_url"],
            status=row["status"],
            html=row["html"],
            error=row["error"],
            fetched_at=row["fetched_at"],
        )
        result = extract_page(page, source.extractor)
        outcomes[result.outcome] += 1
        if result.outcome == "no_records":
            no_record_reasons[result.reason] += 1
        failures.extend(result.failures)
        for record in result.records:
            if record.record_id in records:
                failures.append(
                    {
                        "source": page.source,
                        "page_url": page.url,
                        "stage": "validate",
                        "reason": f"duplicate record_id {record.record_id}: the same review "
                        f"already came from {records[record.record_id].page_url}",
                        "offending": record.review_id,
                    }
                )
            else:
                records[record.record_id] = record

    canonical = records_frame(list(records.values()))
    failed = pl.DataFrame(failures, schema=FAILED_SCHEMA, orient="row").sort(["page_url", "stage", "reason"])
    warehouse.write("canonical_records", with_partition(canonical, partition), partition)
    warehouse.write("failed_records", with_partition(failed, partition), partition)
    warehouse.refresh_catalog(["canonical_records", "failed_records"])

    pages_in = pages.height
    accounted = outcomes["yielded"] + outcomes["no_records"] + outcomes["failed"]
    reasons = Counter(f"{f['stage']}: {f['reason'].split(':')[0]}" for f in failures)
    yield dg.MaterializeResult(
        asset_key="canonical_records",
        metadata={
            "dagster/row_count": canonical.height,
            "dagster/column_schema": review_column_schema(),
            "pages_in": pages_in,
            "pages_yielded": outcomes["yielded"],
            "pages_no_records": outcomes["no_records"],
            "pages_failed": outcomes["failed"],
            "no_record_reasons": dg.MetadataValue.md(
                markdown_table([{"reason": k, "pages": v} for k, v in no_record_reasons.most_common()])
            ),
            "preview": dg.MetadataValue.md(
                markdown_table(
                    canonical.select("record_id", "product_id", "rating", "text").head(5).to_dicts()
                )
            ),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=RECONCILES,
                passed=accounted == pages_in,
                severity=dg.AssetCheckSeverity.ERROR,
                metadata={"pages_in": pages_in, "accounted_for": accounted},
            )
        ],
    )
    yield dg.MaterializeResult(
        asset_key="failed_records",
        metadata={
            "dagster/row_count": failed.height,
            "failures_by_reason": dg.MetadataValue.md(
                markdown_table([{"reason": k, "rows": v} for k, v in reasons.most_common()])
            ),
        },
    )
