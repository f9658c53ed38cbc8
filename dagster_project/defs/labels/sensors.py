"""The Label Studio sensor: newly completed annotations re-run a dataset's `human_labels` and `labels` for
their partitions.

Polling works on its own (no webhook needed). Each tick reads each dataset project's export once, keeps the
annotations newer than the cursor (`gleaner.labeling.label_studio.review_sync`), finds each record's partition in the
warehouse and asks for one run per partition. A server that is down or slow is one skipped tick with the
reason; the cursor does not move, so the next tick picks everything up.
"""

import json

import dagster as dg

from dagster_project.lib.datasets import EXTRACTED, key
from dagster_project.lib.partitions import SOURCES, date_partitions, partition_key
from dagster_project.resources.label_studio import LabelStudioResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.datasets import DatasetSpec
from gleaner.labeling.label_studio import AnnotationCursor, LabelStudioError, new_annotations, record_partitions


def _targets(spec: DatasetSpec) -> list[dg.AssetKey]:
    return [key(spec, "human_labels"), key(spec, "labels")]


LABELLED = list(EXTRACTED.values())


def _dataset_requests(
    context: dg.SensorEvaluationContext, spec: DatasetSpec, client, cursor: AnnotationCursor, label_studio, warehouse
) -> tuple[list[dg.RunRequest], AnnotationCursor, str | None]:
    """One dataset's project: its run requests, its advanced cursor, or why there is nothing to do."""
    project = client.find_project(label_studio.title(spec.name))
    if not project:
        return [], cursor, f"no Label Studio project {label_studio.title(spec.name)!r} yet"
    fresh = new_annotations(client.export(int(project["id"])), cursor)
    if not fresh:
        return [], cursor, "no new completed annotations"
    located = record_partitions(warehouse.store, set(fresh), spec.name)
    for record_id in sorted(set(fresh) - located.keys()):
        context.log.warning(f"{spec.name}: annotated record {record_id} is in no warehouse partition; ignored")
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
                run_key=f"label-studio:{spec.name}:{source}:{date}:{advanced.max_id}:{advanced.updated_at}",
                partition_key=partition_key(source, date),
                asset_selection=_targets(spec),
                tags={"gleaner/trigger": "label_studio", "gleaner/dataset": spec.name},
            )
        )
    return requests, advanced, None if requests else "new annotations, but none for a known partition"


@dg.sensor(
    asset_selection=dg.AssetSelection.assets(*[k for spec in LABELLED for k in _targets(spec)]),
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Polls each dataset's Label Studio project (LABEL_STUDIO_URL) for newly completed annotations "
    "and re-materializes that dataset's human_labels and labels for the partitions of the annotated records.",
)
def label_studio_sensor(
    context: dg.SensorEvaluationContext, label_studio: LabelStudioResource, warehouse: WarehouseResource
) -> dg.SensorResult:
    if not label_studio.configured:
        return dg.SensorResult(skip_reason="Label Studio is not configured (LABEL_STUDIO_URL is unset)")
    cursors = _cursors(context.cursor)
    client = label_studio.client()
    client.attempts = 1  # the next tick is the retry; a sensor tick must stay short
    requests, reasons = [], []
    for spec in LABELLED:
        try:
            found, advanced, reason = _dataset_requests(
                context, spec, client, cursors.get(spec.name, AnnotationCursor.from_json(None)), label_studio,
                warehouse,
            )  # fmt: skip
        except LabelStudioError as exc:
            return dg.SensorResult(skip_reason=f"Label Studio unavailable, trying again next tick: {exc}")
        requests.extend(found)
        cursors[spec.name] = advanced
        if reason:
            reasons.append(f"{spec.name}: {reason}")
    cursor = json.dumps({name: c.to_json() for name, c in sorted(cursors.items())}, sort_keys=True)
    if not requests:
        return dg.SensorResult(skip_reason="; ".join(reasons) or "no datasets", cursor=cursor)
    return dg.SensorResult(run_requests=requests, cursor=cursor)


def _cursors(raw: str | None) -> dict[str, AnnotationCursor]:
    """One cursor per dataset project, kept as a JSON object of each cursor's own JSON."""
    try:
        stored = json.loads(raw) if raw else {}
    except ValueError:
        stored = {}
    if not isinstance(stored, dict) or "max_id" in stored:  # a cursor from before there were datasets
        stored = {}
    return {name: AnnotationCursor.from_json(value) for name, value in stored.items()}
