"""Exact and near-duplicate removal: per partition against everything kept, globally over every partition.

The public surface: `dedup_partition` (the `deduped_records` step) with the `KeptRecords` protocol and its
warehouse implementation, `global_dedup` (the candidate's pass over every partition; `local_settle` here,
`gleaner.dedup.spark_pass` on Spark), `dedup_parquet`
(`gleaner dedup` on any file), `dedup`, the kernel all of them run, and `precompile_in_background` (its compiled
parts loaded beside a command's reads, ahead of need). Shingling, MinHash, LSH banding,
exact Jaccard and the graph walks stay beneath.
"""

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "global_pass": ("GlobalDedup", "Settle", "apply_kept", "first_sightings", "global_dedup", "local_settle"),
        "kernel": ("DedupResult", "PriorCandidates", "content_hash", "dedup"),
        "parquet_file": ("DedupSummary", "dedup_parquet"),
        "precompile": ("precompile_in_background",),
        "partition": ("KEPT_SCHEMA", "REMOVAL_SCHEMA", "KeptRecords", "PartitionDedup", "dedup_partition"),
        "warehouse_index": ("INDEX_ASSET", "WarehouseKeptRecords"),
    },
)
