"""The drop sensor: each complete scrape drop starts exactly one ingest run for its source-day.

A drop is complete once its `_COMPLETE` marker exists; incomplete drops simply wait for a later tick.
The cursor holds the drops already requested, and the run key names the drop, so neither a restarted
daemon nor a second drop for the same day is lost or run twice.
"""


import json

import dagster as dg

from assets.partitions import SOURCES, date_partitions, partition_key
from dagster_project.jobs import ingest_partition
from gleaner.drops import DropPathError, list_complete_drops
from resources.warehouse import WarehouseResource


@dg.sensor(
    job=ingest_partition,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Starts ingest_partition for every complete scrape drop under the drops folder "
    "(GLEANER_DROPS, default .gleaner/drops): <source>/<YYYY-MM-DD>/<drop_id>/ with a _COMPLETE marker.",
)
def drop_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
    seen: set[str] = set(json.loads(context.cursor)) if context.cursor else set()
    try:
        drops = list_complete_drops(warehouse.drops_root)
    except DropPathError as exc:
        return dg.SensorResult(skip_reason=f"drops folder refused: {exc}")
    valid_dates = set(date_partitions.get_partition_keys())
    requests = []
    for drop in drops:
        ident = f"{drop.source}/{drop.date}/{drop.drop_id}"
        if ident in seen:
            continue
        if drop.source not in SOURCES:
            context.log.warning(f"drop {ident}: source {drop.source!r} is not configured; skipped")
            seen.add(ident)
            continue
        if drop.date not in valid_dates:
            context.log.warning(f"drop {ident}: date {drop.date} is outside the partitions; skipped")
            seen.add(ident)
            continue
        requests.append(
            dg.RunRequest(
                run_key=f"drop:{ident}",
                partition_key=partition_key(drop.source, drop.date),
                tags={"gleaner/drop": ident},
            )
        )
        seen.add(ident)
    cursor = json.dumps(sorted(seen))
    if not requests:
        return dg.SensorResult(skip_reason="no new complete drops", cursor=cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)
