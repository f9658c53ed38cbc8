"""Labeling functions: plain Python that looks at one record and returns a label or abstains (None).

Each function is an independent annotation source; agreement between them is measured, never assumed.
Which functions label which dataset is decided in `gleaner.labeling.registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gleaner.progress import Progress


@dataclass(frozen=True)
class RecordView:
    """What a labeling function may look at: `text` is the field the dataset labels; `fields` the whole
    record, for rules on other fields (a dataset over product titles, a threshold on any number)."""

    record_id: str
    text: str
    rating: float | None
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def value(self, name: str) -> Any:
        """A field of the record: from `fields` when given, else `text` or `rating` themselves."""
        if name in self.fields:
            return self.fields[name]
        return {"record_id": self.record_id, "text": self.text, "rating": self.rating}.get(name)


LabelingFunction = Callable[[RecordView], str | None]


def apply_functions(
    records: Sequence[RecordView],
    functions: Mapping[str, LabelingFunction],
    log: Callable[[str], None] | None = None,
) -> list[dict[str, object]]:
    """One vote row per (record, function), abstentions included so coverage can be measured.

    With ``log``, progress lines as the crawl writes them (`gleaner.progress`): at 100k records the rules
    take minutes, and a run that says nothing for that long looks stuck."""
    progress = Progress(log, "records labelled by rules", len(records)) if log is not None else None
    rows: list[dict[str, object]] = []
    for r in records:
        rows.extend(
            {"record_id": r.record_id, "annotator": name, "annotator_kind": "lf", "label": fn(r), "confidence": None}
            for name, fn in functions.items()
        )
        if progress is not None:
            progress.advance()
    return rows
