"""Loading `config/datasets/*.yaml`: every file validated at definition time, every error one line naming
the file and the field, in the style of `gleaner.sources`.

Adding a dataset is adding a file; a file that cannot be used stops the code location from loading rather
than producing a dataset nobody asked for.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from gleaner.datasets.spec import ClassificationSpec, DatasetSpec, SpansSpec
from gleaner.sources import expand_env

DEFAULT_DATASETS_DIR = Path(__file__).resolve().parent.parent.parent / "config" / "datasets"
_ADAPTER: TypeAdapter[ClassificationSpec | SpansSpec] = TypeAdapter(DatasetSpec)
# Discriminator values pydantic puts into error locations; the field path a person edits has none of them.
_TAGS = {"classification", "spans", "keyword", "regex", "field_threshold", "gazetteer"}
_MESSAGES = {
    "extra_forbidden": "unknown field",
    "union_tag_not_found": "missing; one of classification, spans",
}


class DatasetSpecError(ValueError):
    """A dataset file that cannot be used; the one-line message names the file and the offending field."""


def _field(err: dict[str, Any]) -> str:
    parts = [
        str(p) for i, p in enumerate(err["loc"]) if not (p in _TAGS and (i == 0 or isinstance(err["loc"][i - 1], int)))
    ]
    if err["type"].startswith("union_tag"):
        parts = [*parts, "task"] if not err["loc"] else [*parts, "kind"]
    return ".".join(parts) or "dataset"


def _message(err: dict[str, Any]) -> str:
    text = _MESSAGES.get(err["type"]) or err["msg"].removeprefix("Value error, ")
    return " ".join(text.split())


def load_dataset(path: Path) -> ClassificationSpec | SpansSpec:
    try:
        raw = yaml.safe_load(expand_env(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        raise DatasetSpecError(f"{path}: cannot read the dataset file: {' '.join(str(exc).split())}") from exc
    if not isinstance(raw, dict):
        raise DatasetSpecError(f"{path}: expected a mapping of dataset fields, got {type(raw).__name__}")
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_field(err)}: {_message(err)}" for err in exc.errors())
        raise DatasetSpecError(f"{path}: {problems}") from exc


def load_datasets(
    folder: Path | None = None, *, sources: Collection[str] | None = None
) -> dict[str, ClassificationSpec | SpansSpec]:
    """Every `*.yaml` / `*.yml` file in `folder` (default `config/datasets/`) by dataset name, in name order.

    With `sources` (the configured source names), a dataset reading a source that is not configured fails
    too. Two files declaring one name fail, naming both."""
    folder = folder or DEFAULT_DATASETS_DIR
    paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not paths:
        raise DatasetSpecError(f"{folder}: no dataset files (*.yaml)")
    found: dict[str, tuple[Path, ClassificationSpec | SpansSpec]] = {}
    for path in paths:
        spec = load_dataset(path)
        if spec.name in found:
            raise DatasetSpecError(f"{path}: name: dataset {spec.name!r} is already declared in {found[spec.name][0]}")
        unknown = sorted(set(spec.sources) - set(sources)) if sources is not None else []
        if unknown:
            raise DatasetSpecError(f"{path}: sources: not configured: {', '.join(unknown)}")
        found[spec.name] = (path, spec)
    return {name: found[name][1] for name in sorted(found)}
