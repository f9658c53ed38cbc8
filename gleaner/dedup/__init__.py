"""Exact and near-duplicate removal: per partition against everything kept, globally over every partition.

The public surface: `dedup_partition` (the `deduped_records` step) with the `KeptRecords` protocol and its
warehouse implementation, `global_dedup` (the candidate's pass over every partition; `local_settle` here,
`gleaner.dedup.spark_pass` on Spark), `dedup_parquet`
(`gleaner dedup` on any file) and `dedup`, the kernel all of them run. Shingling, MinHash, LSH banding,
exact Jaccard and the graph walks stay beneath.
"""

from gleaner.dedup.global_pass import GlobalDedup, Settle, apply_kept, global_dedup, local_settle
from gleaner.dedup.kernel import DedupResult, PriorCandidates, content_hash, dedup
from gleaner.dedup.parquet_file import DedupSummary, dedup_parquet
from gleaner.dedup.partition import KEPT_SCHEMA, REMOVAL_SCHEMA, KeptRecords, PartitionDedup, dedup_partition
from gleaner.dedup.warehouse_index import INDEX_ASSET, WarehouseKeptRecords

__all__ = [
    "apply_kept",
    "INDEX_ASSET",
    "KEPT_SCHEMA",
    "REMOVAL_SCHEMA",
    "Settle",
    "DedupResult",
    "DedupSummary",
    "GlobalDedup",
    "KeptRecords",
    "PartitionDedup",
    "PriorCandidates",
    "WarehouseKeptRecords",
    "content_hash",
    "dedup",
    "dedup_parquet",
    "dedup_partition",
    "global_dedup",
    "local_settle",
]
