"""The global dedup pass on Spark, for when every partition's records no longer fit one node.

It returns what ``gleaner.dedup.global_pass`` settles locally (the kept record ids and every record's cluster
id), and the same ones. Rather than re-implementing the hashes, the survival walk and the cluster labels
in Spark, it runs our own kernels where the work is:

1. First sightings (one row per ``record_id``: earliest ``scraped_at``, then smallest text), as locally.
2. Sketches: each Spark partition runs ``sketch`` (``shingle_batch`` + MinHash + band hashes, the numba
   kernels) on its records, so text keys and band hashes are bit for bit the local ones.
3. Candidates: records sharing a band hash or a text key, found by Spark group-bys. Everything else is
   isolated: kept, and its own cluster.
4. The candidate graph's connected components (``unionfind.components`` on the driver, over integer ids
   of the candidate records only), then ``dedup`` itself on each component, on the executors.

Why per component gives the global answer: every edge ``dedup`` can verify joins two records that share a
band or a text key, so it lies inside one component; the survival walk and the cluster labels only follow
edges; and the survival order (time, then id) restricted to a component is the same order. An over-full
LSH bucket (``lsh.MAX_BUCKET``) lies inside one component with all its members, so it is verified the same
way. tests/dedup/test_spark_dedup.py holds the two paths to the same bytes.

The driver holds one integer pair per candidate edge, so its memory grows with the number of duplicates,
not of records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import polars as pl
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from gleaner.dedup.kernel import dedup
from gleaner.dedup.sketch import sketch
from gleaner.dedup.unionfind import components

SKETCH_SCHEMA = T.StructType(
    [
        T.StructField("record_id", T.StringType(), False),
        T.StructField("text_key", T.LongType(), False),
        T.StructField("bands", T.ArrayType(T.LongType(), False), False),
    ]
)
SETTLED_SCHEMA = T.StructType(
    [
        T.StructField("record_id", T.StringType(), False),
        T.StructField("cluster_id", T.StringType(), False),
        T.StructField("kept", T.BooleanType(), False),
    ]
)


@dataclass(frozen=True)
class SparkPassStats:
    records: int  # first sightings, the pass's universe
    candidates: int  # records sharing a band or a text key with another
    components: int  # candidate groups settled independently
    kept: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def first_sightings(spark: SparkSession, paths: list[str]) -> DataFrame:
    """record_id, text and time (``scraped_at`` in epoch microseconds, what ``dedup`` orders by)."""
    rows = spark.read.parquet(*paths).select("record_id", "text", "scraped_at")
    earliest = Window.partitionBy("record_id").orderBy(
        F.col("scraped_at").asc_nulls_last(), F.col("text").asc_nulls_last()
    )
    return (
        rows.withColumn("_sighting", F.row_number().over(earliest))
        .filter(F.col("_sighting") == 1)
        .select("record_id", "text", F.unix_micros("scraped_at").alias("time"))
    )


def sketch_rows(rows: Iterable) -> Iterator[tuple[str, int, list[int]]]:
    """One Spark partition's (record_id, text) rows to (record_id, text key, 16 band hashes), as int64."""
    batch = list(rows)
    if not batch:
        return
    sketches = sketch([row["text"] for row in batch], keep_shingles=False)
    keys = sketches.text_keys.view(np.int64).tolist()
    bands = np.ascontiguousarray(sketches.bands).view(np.int64).tolist()
    for row, key, band in zip(batch, keys, bands, strict=True):
        yield row["record_id"], key, band


def sketches(universe: DataFrame) -> DataFrame:
    return universe.select("record_id", "text").rdd.mapPartitions(sketch_rows).toDF(SKETCH_SCHEMA)


def candidate_groups(sketched: DataFrame) -> DataFrame:
    """Groups (``ids``) of two or more records sharing one band hash, or one text key."""
    by_band = (
        sketched.select("record_id", F.posexplode("bands").alias("band", "hash"))
        .groupBy("band", "hash")
        .agg(F.collect_list("record_id").alias("ids"))
    )
    by_key = sketched.groupBy("text_key").agg(F.collect_list("record_id").alias("ids"))
    both = by_band.select("ids").unionByName(by_key.select("ids"))
    return both.filter(F.size("ids") > 1)


def component_of(groups: Iterable[list[str]]) -> dict[str, int]:
    """Candidate record id -> its component (the smallest integer id in it), from groups of ids."""
    members: list[list[str]] = [sorted(ids) for ids in groups]
    ids = np.unique(np.array([i for group in members for i in group], dtype=object)) if members else []
    number = {record_id: n for n, record_id in enumerate(ids)}
    left = [number[group[0]] for group in members for _ in group[1:]]
    right = [number[other] for group in members for other in group[1:]]
    labels = components(len(number), np.array(left, dtype=np.int64), np.array(right, dtype=np.int64))
    return dict(zip(number, labels.tolist(), strict=True))


def settle_component(threshold: float):
    """The executor-side step: ``dedup`` over one component's records, each with its cluster and whether
    it is kept."""

    def settle(item: tuple[int, Iterable[tuple[str, str | None, int | None]]]) -> Iterator[tuple[str, str, bool]]:
        records = sorted(item[1])
        ids = [r[0] for r in records]
        times = pl.Series("time", [r[2] for r in records], dtype=pl.Int64)
        result = dedup(ids, [r[1] for r in records], times, threshold=threshold)
        kept = set(result.kept_ids)
        for record_id in ids:
            yield record_id, result.cluster_of[record_id], record_id in kept

    return settle


def spark_global_pass(spark: SparkSession, paths: list[str], threshold: float, output: str) -> SparkPassStats:
    """Settle the records under ``paths`` (canonical_records Parquet) and write (record_id, cluster_id, kept)
    of every first sighting to ``output`` (a Parquet folder), ordered by record_id."""
    universe = first_sightings(spark, paths).cache()
    groups = candidate_groups(sketches(universe))
    component = component_of(row["ids"] for row in groups.toLocalIterator())
    assigned = spark.createDataFrame(
        list(component.items()),
        T.StructType([T.StructField("record_id", T.StringType()), T.StructField("component", T.LongType())]),
    )
    involved = universe.join(assigned, "record_id")
    settled = (
        involved.rdd.map(lambda r: (r["component"], (r["record_id"], r["text"], r["time"])))
        .groupByKey()
        .flatMap(settle_component(threshold))
        .toDF(SETTLED_SCHEMA)
    )
    isolated = universe.join(assigned, "record_id", "left_anti")
    isolated = isolated.select("record_id", F.col("record_id").alias("cluster_id"), F.lit(True).alias("kept"))
    every = isolated.unionByName(settled).orderBy("record_id").cache()
    every.coalesce(1).write.mode("overwrite").parquet(output)
    kept = every.filter(F.col("kept")).count()
    stats = SparkPassStats(universe.count(), len(component), len(set(component.values())), kept)
    universe.unpersist()
    every.unpersist()
    return stats
