"""Where the candidate's global dedup pass runs: deployment configuration, not part of any dataset.

Everything that decides a dataset's rows (label policy, gate, splits, balancing, dedup threshold) is in
the dataset's own file (`config/datasets/<name>.yaml`); what is left here changes where work happens,
never what it produces (tests/dedup/test_spark_dedup.py), so it is no part of a version either.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.resources.spark import SparkDedup
from gleaner.dedup import Settle, local_settle


class PolicyResource(dg.ConfigurableResource):
    # Where the candidate's global dedup pass runs: `local` (this process), `spark` (Dagster Pipes to the
    # Spark driver, dagster_project/resources/spark.py) or `auto`: Spark past `spark_min_records` first
    # sightings. Both give the same kept set and clusters; one node handles 1M records in well under a
    # minute (docs/dedup.md), so Spark pays off when the texts no longer fit its memory.
    global_dedup_engine: str = "local"
    spark_min_records: int = 20_000_000
    spark_master: str = "local[2]"  # the local driver's; on EMR/Databricks the cluster decides
    spark_driver_memory: str = "2g"

    def dedup_engine(self, records: int) -> str:
        """The engine for a global pass over `records` first sightings."""
        if self.global_dedup_engine not in ("local", "spark", "auto"):
            raise ValueError(f"global_dedup_engine={self.global_dedup_engine!r}: expected local, spark or auto")
        if self.global_dedup_engine == "auto":
            return "spark" if records > self.spark_min_records else "local"
        return self.global_dedup_engine

    def global_settle(self, context: dg.AssetExecutionContext, canonical: list[str]) -> Settle:
        """The candidate's global dedup step over `canonical` (canonical_records Parquet globs)."""
        if self.global_dedup_engine == "local":  # the plain kernel: the candidate then sketches only once
            return local_settle
        return SparkDedup(self.spark_master, self.spark_driver_memory).settler(context, self.dedup_engine, canonical)
