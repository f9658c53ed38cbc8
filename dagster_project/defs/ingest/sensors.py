"""The drop sensor: each complete scrape drop starts exactly one ingest run for its source-day.

The drops resource says where drops arrive (the local folder, or an S3 prefix in production). A drop is
complete once its `_COMPLETE` marker exists; incomplete drops simply wait for a later tick, and so does a
drop dated today, until its partition exists. A drop whose name or paths lead outside the drop root is
refused with an error in the log, once, and the others go ahead. The run key names the drop, so even a
lost cursor cannot start a drop twice; the cursor (`gleaner.drops.cursor`) keeps each tick's listing cheap
to compare and stays small however many drops have ever arrived.
"""

import dagster as dg
from botocore.exceptions import BotoCoreError, ClientError

from dagster_project.defs.jobs import ingest_partition
from dagster_project.lib.partitions import SOURCES, date_partitions, partition_key
from dagster_project.resources.drops import DropsResource
from gleaner.drops import DropCursor, DropError, DropSighting, RefusedDrop


@dg.sensor(
    job=ingest_partition,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts ingest_partition for every complete scrape drop in the drop location (the drops "
    "folder, or GLEANER_DROPS_S3): <source>/<YYYY-MM-DD>/<drop_id>/ with a _COMPLETE marker.",
)
def drop_sensor(context: dg.SensorEvaluationContext, drops: DropsResource) -> dg.SensorResult:
    cursor = DropCursor.from_json(context.cursor)
    try:
        found = drops.scan()
    except (OSError, DropError, BotoCoreError, ClientError) as exc:  # unreachable for now: try next tick
        return dg.SensorResult(skip_reason=f"cannot list drops at {drops.location}: {exc}")
    partitions = date_partitions.get_partition_keys()
    last_date = partitions[-1] if partitions else ""
    valid_dates = set(partitions)
    requests: list[dg.RunRequest] = []
    handled: dict[str, float] = {}
    waiting: list[float] = []
    for item in sorted(found, key=lambda f: (f.arrived_at, f.ident)):
        if not cursor.is_new(item.ident, item.arrived_at):
            continue
        if isinstance(item, RefusedDrop):
            context.log.error(f"drop {item.ident} at {drops.location} refused: {item.reason}")
            handled[item.ident] = item.arrived_at
            continue
        assert isinstance(item, DropSighting)
        if item.date > last_date:
            waiting.append(item.arrived_at)  # its day is not over: the partition does not exist yet
            continue
        handled[item.ident] = item.arrived_at
        problem = drops.check(item)
        if problem is not None:
            context.log.error(f"drop {item.ident} at {drops.location} refused: {problem}")
        elif item.source not in SOURCES:
            context.log.warning(f"drop {item.ident}: source {item.source!r} is not configured; skipped")
        elif item.date not in valid_dates:
            context.log.warning(f"drop {item.ident}: date {item.date} is before the first partition; skipped")
        else:
            requests.append(
                dg.RunRequest(
                    run_key=f"drop:{item.ident}",
                    partition_key=partition_key(item.source, item.date),
                    tags={"gleaner/drop": item.ident},
                )
            )
    cursor = cursor.advance(handled, min(waiting) if waiting else None)
    if not requests:
        return dg.SensorResult(skip_reason="no new complete drops", cursor=cursor.to_json())
    return dg.SensorResult(run_requests=requests, cursor=cursor.to_json())
