"""<dataset>/canonical_records and <dataset>/failed_records: every stored page ends as records, a counted
'none', or a failure, for each declared dataset (`dagster_project.lib.datasets`).

The per-page work is `gleaner.datasets.extract_records` (the dataset's record type picks the extractor, the
same code `gleaner extract` runs on local files); this module only reads the partition, writes the two
tables and reports.
"""

from collections import Counter

import dagster as dg

from dagster_project.lib.datasets import EXTRACTED, key, reads_source, table
from dagster_project.lib.metadata import markdown_table, table_metadata
from dagster_project.lib.partitions import SOURCES, partition_of, source_day_partitions, with_partition
from dagster_project.lib.specs import stage
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.datasets import DatasetSpec, extract_records
from gleaner.dedup import precompile_in_background
from gleaner.extract import FAILED_SCHEMA
from gleaner.progress import Progress

RECONCILES = "pages_reconcile"


def record_column_schema(spec: DatasetSpec) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, str(field.annotation), description=field.description)
            for name, field in spec.record_model.model_fields.items()
        ]
    )


def failed_column_schema() -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype)) for name, dtype in FAILED_SCHEMA.items()])


def _counts_table(counter: Counter[str]) -> dg.MetadataValue:
    return dg.MetadataValue.md(markdown_table([{"reason": k, "count": v} for k, v in counter.most_common()]))


def records_assets(spec: DatasetSpec) -> dg.AssetsDefinition:
    canonical, failed = key(spec, "canonical_records"), key(spec, "failed_records")

    @dg.multi_asset(
        name=f"{spec.name}__canonical_records",
        specs=[
            dg.AssetSpec(
                canonical,
                deps=["raw_pages"],
                description=f"{spec.name}: pydantic-validated {spec.record} records ({spec.record_model.__name__}), "
                f"ids stable across re-scrapes; `{spec.input}` is the labeled field.",
                **stage("records", {"polars", "pydantic"}, code_version="2"),
            ),
            dg.AssetSpec(
                failed,
                deps=["raw_pages"],
                description=f"{spec.name}: every page or candidate record that failed, with the stage, reason "
                "and offending input.",
                **stage("records", {"polars"}, code_version="2"),
            ),
        ],
        check_specs=[
            dg.AssetCheckSpec(
                RECONCILES,
                asset=canonical,
                blocking=True,
                description="pages in = pages that yielded records + pages with no records + pages that failed",
            )
        ],
        partitions_def=source_day_partitions,
    )
    def _records(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        partition = partition_of(context)
        pages = warehouse.read_required("raw_pages", partition)
        if not reads_source(spec, partition["source"]):
            context.log.info(f"{spec.name} does not read source {partition['source']}: no records")
            pages = pages.clear()
        progress = Progress(context.log.info, f"{partition['source']}: pages extracted", pages.height)
        precompile_in_background()  # the dedup step's kernels load here while worker processes extract
        result = extract_records(spec, pages, SOURCES[partition["source"]], on_page=progress.advance)
        batch, records, failures = result.batch, result.records, result.failures
        warehouse.write(table(spec, "canonical_records"), with_partition(records, partition), partition)
        warehouse.write(table(spec, "failed_records"), with_partition(failures, partition), partition)
        warehouse.refresh_catalog()

        counts, reasons = batch.counts(), batch.failure_reasons()
        preview = [c for c in ("record_id", "product_id", "rating", "language", "text") if c in records.columns]
        yield dg.MaterializeResult(
            asset_key=canonical,
            metadata={
                **table_metadata(records, preview, schema=record_column_schema(spec)),
                "pages_in": counts["pages_in"],
                "pages_yielded": counts["pages_yielded"],
                "pages_no_records": counts["pages_no_records"],
                "pages_failed": counts["pages_failed"],
                "no_record_reasons": _counts_table(batch.no_record_reasons),
                "failure_reasons": _counts_table(reasons),
                "extraction_notes": _counts_table(batch.notes),
                "by_extraction": dg.MetadataValue.json(dict(sorted(batch.by_extraction.items()))),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=RECONCILES,
                    asset_key=canonical,
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
            asset_key=failed,
            metadata={
                **table_metadata(failures, schema=failed_column_schema()),
                "failures_by_reason": _counts_table(reasons),
            },
        )

    return _records


ASSETS = [records_assets(spec) for spec in EXTRACTED.values()]
