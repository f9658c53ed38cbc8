"""Label Studio: where uncertain records go for human review and where human labels come back from.

The file path (import file out, JSON exports in) works without a server, for air-gapped teams and for
the bundled demo sample; the API path shares the same task and export formats.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import dagster as dg

from gleaner.pii import scrub

BUNDLED_SAMPLE = Path(__file__).resolve().parent.parent / "gleaner" / "data" / "demo_human_annotations.json"


class LabelStudioResource(dg.ConfigurableResource):
    """`export_paths`: Label Studio JSON exports (files or folders of them) to read human labels from."""

    export_paths: list[str] = []
    model_version: str = "gleaner-rules-v1"

    def export_files(self) -> list[Path]:
        files: list[Path] = []
        for entry in self.export_paths:
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
    def write_import_file(root: Path, partition: dict[str, str], tasks: list[dict]) -> Path:
        target = root / "review_tasks" / f"source={partition['source']}" / f"date={partition['date']}"
        target.mkdir(parents=True, exist_ok=True)
        path = target / "label_studio_import.json"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(tasks, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
        return path
