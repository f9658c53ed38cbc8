"""The global dedup pass's Spark side, reached through Dagster Pipes.

`labeled_dataset` settles the global kept set locally unless the policy's `global_dedup_engine` says
`spark` (or `auto` past `spark_min_records` first sightings). Then `SparkDedup` (configured from the
policy's `spark_*` fields, so no resource is added to the graph) starts the driver
(`gleaner.dedup.spark_job`) with `PipesSubprocessClient`: the driver reads canonical_records' Parquet from
the warehouse, writes the kept (record_id, cluster_id) rows to a folder, and reports its counts over Pipes.
Locally Spark runs in local mode inside that subprocess (pyspark pinned in constraints.txt, a Java runtime
from `make test`). In production the same driver runs on EMR through dagster-aws's `PipesEMRClient` or on
Databricks through `PipesDatabricksClient` (infra/README.md "Spark"), with the output on S3.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl

from gleaner.dedup import Settle, local_settle


@dataclass(frozen=True)
class SparkDedup:
    master: str = "local[2]"  # Spark master for the local driver
    driver_memory: str = "2g"

    def settler(
        self, context: dg.AssetExecutionContext, engine_for: Callable[[int], str], canonical: list[str]
    ) -> Settle:
        """The candidate's settle step: local, or on Spark when `engine_for(first sightings)` says so."""

        def settle(universe: pl.DataFrame, threshold: float) -> tuple[list[str], dict[str, str]]:
            if engine_for(universe.height) == "local":
                return local_settle(universe, threshold)
            context.log.info(f"global dedup pass on Spark for {universe.height} first sightings")
            return self.settle(context, canonical, threshold)

        return settle

    def settle(
        self, context: dg.AssetExecutionContext, canonical: list[str], threshold: float
    ) -> tuple[list[str], dict[str, str]]:
        """Kept record ids (sorted) and their cluster ids, as `gleaner.dedup.global_pass.local_settle`."""
        if any(path.startswith("s3://") for path in canonical):
            raise ValueError(
                "the local Spark driver reads local Parquet; an S3 warehouse runs the driver on EMR or "
                "Databricks (infra/README.md, Spark)"
            )
        with tempfile.TemporaryDirectory(prefix="gleaner-spark-") as scratch:
            output = str(Path(scratch) / "kept")
            invocation = dg.PipesSubprocessClient().run(
                context=context,
                command=[sys.executable, "-m", "gleaner.dedup.spark_job"],
                extras={
                    "canonical": canonical,
                    "output": output,
                    "threshold": threshold,
                    "master": self.master,
                    "driver_memory": self.driver_memory,
                },
            )
            stats = invocation.get_custom_messages()[-1]
            settled = pl.read_parquet(f"{output}/*.parquet")
        kept = settled.filter("kept")["record_id"]
        if kept.len() != stats["kept"] or settled.height != stats["records"]:
            raise RuntimeError(
                f"Spark reported {stats['records']} records, {stats['kept']} kept, "
                f"but wrote {settled.height}, {kept.len()} kept"
            )
        context.log.info(f"global dedup pass on Spark: {stats}")
        return kept.to_list(), dict(zip(settled["record_id"], settled["cluster_id"], strict=True))
