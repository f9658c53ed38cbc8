"""The code location's partitioning, defined beside the assets that use it."""

from assets.partitions import (  # noqa: F401
    DEMO_DATE,
    SOURCES,
    date_partitions,
    partition_key,
    source_day_partitions,
    source_partitions,
)
