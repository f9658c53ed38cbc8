"""The Label Studio sensor: newly completed annotations re-run `human_labels` and `labels` for their partitions.

Polling works on its own (no webhook needed). Each tick reads the project's export once, keeps the
annotations newer than the cursor (`gleaner.labeling.label_studio.review_sync`), finds each record's partition in the
warehouse and asks for one run per partition. A server that is down or slow is one skipped tick with the
reason; the cursor does not move, so the next tick picks everything up.
"""

import dagster as dg

from dagster_project.lib.partitions import SOURCES, date_partitions, partition_key
from dagster_project.resources.label_studio import LabelStudioResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.labeling.label_studio import AnnotationCursor, LabelStudioError, new_annotations, record_partitions

TARGETS = [dg.AssetKey("human_labels"), dg.AssetKey("labels")]


@dg.sensor(
    asset_selection=dg.AssetSelection.assets(*TARGETS),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Polls Label Studio (LABEL_STUDIO_URL) for newly completed annotations and re-materializes "
    "human_labels and labels for the partitions of the annotated records.",
)
def label_studio_sensor(
    context: dg.SensorEvaluationContext, label_studio: LabelStudioResource, warehouse: WarehouseResource
) -> dg.SensorResult:
    if not label_studio.configured:
        return dg.SensorResult(skip_reason="Label Studio is not configured (LABEL_STUDIO_URL is unset)")
    cursor = AnnotationCursor.from_json(context.cursor)
    client = label_studio.client()
    client.attempts = 1  # the next tick is the retry; a sensor tick must stay short
    try:
        project = client.find_project(label_studio.project_title)
        tasks = client.export(int(project["id"])) if project else []
    except LabelStudioError as exc:
        return dg.SensorResult(skip_reason=f"Label Studio unavailable, trying again next tick: {exc}")
    if not project:
        return dg.SensorResult(skip_reason=f"no Label Studio project {label_studio.project_title!r} yet")
    fresh = new_annotations(tasks, cursor)
    if not fresh:
        return dg.SensorResult(skip_reason="no new completed annotations", cursor=cursor.to_json())
    located = record_partitions(warehouse.store, set(fresh))
    for record_id in sorted(set(fresh) - located.keys()):
        context.log.warning(f"annotated record {record_id} is in no warehouse partition; ignored")
    advanced = cursor.advance([a for annotations in fresh.values() for a in annotations])
    valid_dates = set(date_partitions.get_partition_keys())
    requests = []
    for source, date in sorted(set(located.values())):
        if source not in SOURCES or date not in valid_dates:
            context.log.warning(f"partition {source}/{date} is not a known partition; skipped")
            continue
        requests.append(
            dg.RunRequest(
                # Unique per batch of annotations: the next batch for the same partition runs again.
                run_key=f"label-studio:{source}:{date}:{advanced.max_id}:{advanced.updated_at}",
                partition_key=partition_key(source, date),
                asset_selection=TARGETS,
                tags={"gleaner/trigger": "label_studio"},
            )
        )
    if not requests:
        return dg.SensorResult(skip_reason="new annotations, but none for a known partition", cursor=advanced.to_json())
    return dg.SensorResult(run_requests=requests, cursor=advanced.to_json())
