"""Label Studio: where uncertain records go for human review and where human labels come back from.

The file path (import file out, JSON exports in) works without a server, for air-gapped teams and for
the bundled demo sample; the API path (when `url` is set) shares the same task and export formats.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import dagster as dg

import gleaner
from gleaner.datasets import DatasetSpec as TaskDefinition
from gleaner.labeling import scrub
from gleaner.labeling.label_studio import LabelStudioClient, LabelStudioError, spec_labeling_config

BUNDLED = Path(gleaner.__file__).resolve().parent / "data"
# the demo's annotations from two annotators, per built-in dataset (scripts/make_demo_annotations.py)
BUNDLED_EXPORTS = [
    f"review_sentiment={BUNDLED / 'demo_human_annotations.json'}",
    f"product_entities={BUNDLED / 'demo_span_annotations.json'}",
]


class LabelStudioResource(dg.ConfigurableResource):
    """`export_paths`: Label Studio JSON exports (files or folders of them) to read human labels from; an
    entry `<dataset>=<path>` is read for that dataset only, a plain one for every dataset (annotations of
    records a dataset does not hold are ignored there).

    `url` and `api_key` (from `LABEL_STUDIO_URL` / `LABEL_STUDIO_API_KEY`) turn on the server: each dataset
    has its own project, `<project_title>: <dataset>`, with the labeling interface its file declares; tasks
    are pushed to and annotations pulled from it. Without them, files only.
    """

    export_paths: list[str] = []
    model_version: str = "gleaner-rules-v1"
    url: str | None = None
    api_key: str | None = None
    project_title: str = "Gleaner review"
    timeout_seconds: float = 10.0
    attempts: int = 3

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def client(self) -> LabelStudioClient:
        if not self.url:
            raise dg.Failure("Label Studio is not configured: set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")
        return LabelStudioClient(self.url, self.api_key or "", timeout=self.timeout_seconds, attempts=self.attempts)

    def title(self, dataset: str) -> str:
        return f"{self.project_title}: {dataset}"

    def project_id(self, definition: TaskDefinition) -> int:
        return self.client().ensure_project(self.title(definition.name), spec_labeling_config(definition))

    def push(self, tasks: list[dict[str, Any]], definition: TaskDefinition) -> dict[str, Any]:
        """Push tasks not yet in the dataset's project; a failure is a `dg.Failure` that says what to do."""
        try:
            project = self.project_id(definition)
            created, existing = self.client().push_tasks(project, tasks)
        except LabelStudioError as exc:
            raise dg.Failure(f"pushing review tasks to Label Studio failed: {exc}") from exc
        return {"project_id": project, "created": created, "existing": existing}

    def pull(self, definition: TaskDefinition) -> list[dict[str, Any]]:
        """The dataset project's annotated tasks, in the export-file format."""
        try:
            return self.client().export(self.project_id(definition))
        except LabelStudioError as exc:
            raise dg.Failure(f"pulling annotations from Label Studio failed: {exc}") from exc

    def export_files(self, dataset: str) -> list[Path]:
        files: list[Path] = []
        for entry in self.export_paths:
            named, _, rest = entry.partition("=")
            if rest and "/" not in named:
                if named != dataset:
                    continue
                entry = rest
            path = Path(entry)
            if path.is_dir():
                files.extend(sorted(path.glob("*.json")))
            elif path.is_file():
                files.append(path)
            else:
                raise dg.Failure(f"Label Studio export {path} does not exist")
        return files

    @staticmethod
    def prepare_texts(rows: list[dict]) -> list[dict]:
        """Text leaves the machine scrubbed of PII and HTML-escaped, since Label Studio renders it."""
        return [{**row, "text": html.escape(scrub(row["text"]))} for row in rows]

    @staticmethod
    def import_file(table: str, partition: dict[str, str], tasks: list[dict]) -> tuple[str, bytes]:
        """The Label Studio import file's warehouse key (beside the partition's review_tasks) and bytes."""
        key = f"{table}/source={partition['source']}/date={partition['date']}/label_studio_import.json"
        return key, json.dumps(tasks, indent=1, sort_keys=True).encode("utf-8")
