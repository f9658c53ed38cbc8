"""Which annotations are new since the last poll of Label Studio, and which partitions they belong to.

The cursor keeps the highest annotation id and the latest `updated_at` seen: a new annotation has a higher
id, an edited one (an annotator changing their mind) a later update time, and both should re-resolve the
record. Re-running for an annotation already seen is harmless (the assets are idempotent); missing one is
not, so the comparison errs towards "new".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gleaner.storage.backends import Store, as_store

PARTITION_SOURCES = ("review_tasks", "deduped_records")  # small and exact first, then every kept record


def _when(value: Any) -> datetime | None:
    """Label Studio drops zero microseconds from ISO times, so compare parsed times, never strings."""
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class AnnotationCursor:
    max_id: int = 0
    updated_at: str = ""

    @classmethod
    def from_json(cls, text: str | None) -> AnnotationCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(int(data.get("max_id", 0)), str(data.get("updated_at", "")))

    def to_json(self) -> str:
        return json.dumps({"max_id": self.max_id, "updated_at": self.updated_at}, sort_keys=True)

    def is_new(self, annotation: dict[str, Any]) -> bool:
        if int(annotation.get("id") or 0) > self.max_id:
            return True
        seen, when = _when(self.updated_at), _when(annotation.get("updated_at"))
        return when is not None and (seen is None or when > seen)

    def advance(self, annotations: list[dict[str, Any]]) -> AnnotationCursor:
        max_id, latest = self.max_id, self.updated_at
        for annotation in annotations:
            max_id = max(max_id, int(annotation.get("id") or 0))
            when = _when(annotation.get("updated_at"))
            if when is not None and (_when(latest) is None or when > _when(latest)):
                latest = str(annotation["updated_at"])
        return AnnotationCursor(max_id, latest)


def new_annotations(tasks: list[dict[str, Any]], cursor: AnnotationCursor) -> dict[str, list[dict[str, Any]]]:
    """record_id -> its annotations that are new since the cursor (export-format tasks in)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for task in tasks:
        record_id = (task.get("data") or {}).get("record_id")
        fresh = [a for a in task.get("annotations") or [] if cursor.is_new(a)]
        if fresh:
            found.setdefault(str(record_id) if record_id else f"task:{task.get('id')}", []).extend(fresh)
    return found


def _partition_of(key: str) -> tuple[str, str] | None:
    parts = dict(p.split("=", 1) for p in key.split("/")[-3:-1] if "=" in p)
    return (parts["source"], parts["date"]) if {"source", "date"} <= parts.keys() else None


def record_partitions(
    root: Store | Path, record_ids: set[str], dataset: str | None = None
) -> dict[str, tuple[str, str]]:
    """record_id -> (source, date) of the partition of `dataset`'s tables holding it, reading only the id
    column (`dataset` None: top-level tables)."""
    store = as_store(root)
    found: dict[str, tuple[str, str]] = {}
    for asset in (f"{dataset}/{a}" if dataset else a for a in PARTITION_SOURCES):
        missing = record_ids - found.keys()
        if not missing:
            continue
        for key in store.list_keys(asset):
            partition = _partition_of(key) if key.endswith(".parquet") else None
            if partition is None:
                continue
            ids = store.read_parquet(key, columns=["record_id"])["record_id"]
            for record_id in ids.filter(ids.is_in(list(missing))).to_list():
                found.setdefault(record_id, partition)
    return found
