"""Materialization metadata a person reads at a glance: row count, column schema and a few rows.

Dagster shows `dagster/row_count` and `dagster/column_schema` in the asset's overview and plots the
count across runs; the preview is what people look at first when a number looks wrong.
"""

import dagster as dg
import polars as pl

from assets.partitioning import markdown_table


def column_schema(frame: pl.DataFrame, descriptions: dict[str, str] | None = None) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name, str(dtype), description=(descriptions or {}).get(name))
            for name, dtype in frame.schema.items()
        ]
    )


def table_metadata(
    frame: pl.DataFrame,
    preview_columns: list[str] | None = None,
    rows: int = 5,
    schema: dg.TableSchema | None = None,
) -> dict[str, object]:
    """Row count, schema and a markdown preview of the first `rows` rows (long cells cut)."""
    shown = frame.select(preview_columns) if preview_columns else frame
    return {
        "dagster/row_count": frame.height,
        "dagster/column_schema": schema or column_schema(frame),
        "preview": dg.MetadataValue.md(markdown_table(shown.head(rows).to_dicts(), limit=rows)),
    }
