"""The Spark driver of the global dedup pass, launched through Dagster Pipes.

Dagster's side (`dagster_project/resources/spark.py`) starts it and passes, as Pipes extras, the
canonical_records Parquet to read (paths or globs: local, or s3:// where the cluster reads S3), the
folder to write every record's (record_id, cluster_id, kept) row to, and the Jaccard threshold. It reports its counts
back as a Pipes custom message and its progress as Pipes logs; the rows go through storage, never through
the message channel. The same file runs:

- locally: `python -m gleaner.dedup.spark_job` under `PipesSubprocessClient`, Spark in local mode
  (extras `master`, e.g. `local[2]`);
- on EMR: `spark-submit` of this file as a step, through dagster-aws's `PipesEMRClient` (or
  `PipesEMRServerlessClient`), with this package installed on the cluster (a bootstrap action
  `pip install -c constraints.txt gleaner`) and the S3 message reader;
- on Databricks: a `spark_python_task` of this file through dagster-databricks's `PipesDatabricksClient`,
  the package installed as a cluster library.

Only `dagster_pipes` (the client side of the protocol, a dependency-free module) is imported from
Dagster, as a driver may; the work is `gleaner.dedup.spark_pass`.
"""

from __future__ import annotations

import os
import sys

from dagster_pipes import PipesContext, open_dagster_pipes


def spark_session(master: str | None, memory: str | None):
    from pyspark.sql import SparkSession

    # Executors' Python workers must import gleaner from the same environment as the driver.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.appName("gleaner-global-dedup")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master:  # on a cluster, spark-submit and the cluster's defaults decide
        # one node: a few shuffle partitions, not the 200 sized for a cluster
        builder = builder.master(master).config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
    if memory:
        builder = builder.config("spark.driver.memory", memory)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def run(pipes: PipesContext) -> dict[str, int]:
    from gleaner.dedup.spark_pass import spark_global_pass

    extras = pipes.extras
    spark = spark_session(extras.get("master"), extras.get("driver_memory"))
    try:
        pipes.log.info(f"global dedup pass on Spark {spark.version} ({spark.sparkContext.master})")
        stats = spark_global_pass(spark, list(extras["canonical"]), float(extras["threshold"]), extras["output"])
    finally:
        spark.stop()
    pipes.log.info(
        f"{stats.records} records, {stats.candidates} candidates in {stats.components} components, {stats.kept} kept"
    )
    pipes.report_custom_message(stats.as_dict())
    return stats.as_dict()


def main() -> None:
    with open_dagster_pipes() as pipes:
        run(pipes)


if __name__ == "__main__":
    main()
