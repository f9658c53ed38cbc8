"""Materialization metadata a person reads at a glance: row count, column schema and a few rows.

Dagster shows `dagster/row_count` and `dagster/column_schema` in the asset's overview and plots the
count across runs; the preview is what people look at first when a number looks wrong.
"""

import dagster as dg
import polars as pl

from gleaner.labeling import velocity_rows

# The first `dg.TableSchema` (and `dg.TableRecord`) a process builds resolves the class's annotations with a
# copy of its caller's local variables (dagster_shared.check.builder's EvalContext.update_from_frame), and
# keeps that copy for good. Built first inside an asset, from a function holding a partition's table, that
# pinned the whole table: the raw pages step's 375 MB of HTML stayed resident through the rest of the
# ingest (process tree at its peak 1.76 GB, 1.40 GB with this). Built once here, at import, the copy holds
# this module's names only.
dg.TableSchema(columns=[dg.TableColumn("warm-up", "none")])
dg.TableRecord({"warm-up": "none"})


def markdown_table(rows: list[dict], limit: int = 20) -> str:
    """A few rows as a markdown table for asset metadata; long cells are cut so the UI stays readable."""
    if not rows:
        return "_none_"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows[:limit]:
        cells = [str(row.get(c, "")).replace("|", "\\|").replace("\n", " ")[:80] for c in columns]
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) > limit:
        lines.append(f"\n_{len(rows) - limit} more rows_")
    return "\n".join(lines)


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


LOGGED_REMOVALS = 20  # the run log names the first few; the table holds them all


def log_removals(log, removals: pl.DataFrame) -> None:
    """The first few dedup removals as log lines, then how many more the `near_duplicates` table holds."""
    for row in removals.head(LOGGED_REMOVALS).iter_rows(named=True):
        log.info(f"removed {row['removed_id']}: {row['kind']} of {row['kept_id']} (Jaccard {row['jaccard']:.3f})")
    if removals.height > LOGGED_REMOVALS:
        log.info(f"... and {removals.height - LOGGED_REMOVALS} more removals: see near_duplicates")


def agreement_metadata(report: dict) -> dict[str, object]:
    """The agreement report as numbers (which Dagster plots across runs) and as tables."""
    numbers = {
        "agreement/fleiss_llm_votes": report["fleiss"],
        "agreement/krippendorff_alpha": report["krippendorff_alpha"],
        **{f"agreement/kappa/{pair}": row["kappa"] for pair, row in report["cohen"].items()},
    }
    pairs = [
        {"pair": pair, **{k: row[k] for k in ("n_shared", "observed_agreement", "kappa")}}
        for pair, row in report["cohen"].items()
    ]
    overall = {k: v for k, v in report.items() if k != "cohen"}
    return {
        **{k: float(v) for k, v in numbers.items() if v is not None},
        "agreement": dg.MetadataValue.md(markdown_table(pairs, limit=50)),
        "agreement_overall": dg.MetadataValue.json(overall),
    }


def velocity_metadata(velocity: dict) -> dict[str, object]:
    """Annotation velocity (`gleaner.labeling.annotation_velocity`) as numbers Dagster plots across runs
    (`velocity_records_per_hour`, `velocity/<annotator>`) and a table against the reference rate; without
    any timed annotation, a note saying why there is no figure."""
    numbers = {
        "velocity_records_per_hour": velocity["records_per_hour"],
        **{f"velocity/{row['annotator']}": row["records_per_hour"] for row in velocity["per_annotator"]},
    }
    reference = velocity["reference_records_per_hour"]
    untimed = velocity["without_lead_time"]
    note = {}
    if velocity["records_per_hour"] is None:
        note = {
            "velocity_note": "no annotation carries a Label Studio lead_time (seconds on the task), so there is no "
            f"velocity to report ({untimed} annotations without one); the reference is {reference} records/hour"
        }
    return {
        **{k: float(v) for k, v in numbers.items() if v is not None},
        "annotations_without_lead_time": untimed,
        "velocity": dg.MetadataValue.md(markdown_table(velocity_rows(velocity), limit=50)),
        **note,
    }
