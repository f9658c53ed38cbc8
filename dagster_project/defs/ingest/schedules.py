"""A daily crawl of every source, built from the partitioned job so each run is one source-day."""

from __future__ import annotations

import dagster as dg

from dagster_project.defs.jobs import ingest_partition
from gleaner.drops import CRAWL_TAG

daily_ingest = dg.build_schedule_from_partitioned_job(
    ingest_partition,
    hour_of_day=2,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    tags={CRAWL_TAG: "true"},  # a day without a drop is crawled (raw_pages crawls only when asked)
    description="Each night, crawl yesterday's partition of every source (off by default).",
)
