"""A daily crawl of every source, built from the partitioned job so each run is one source-day."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.jobs import ingest_partition

daily_ingest = dg.build_schedule_from_partitioned_job(
    ingest_partition,
    hour_of_day=2,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Each night, crawl yesterday's partition of every source (off by default).",
)
