"""Labeling functions: plain Python that looks at one record and returns a label or abstains (None).

Each function is an independent annotation source; agreement between them is measured, never assumed.
Which functions label which dataset is decided in `gleaner.labeling.registry`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gleaner.parallel import chunked, default_workers, ordered_chunks, picklable
from gleaner.progress import Progress

PARALLEL_MIN_RECORDS = 10_000  # below this, starting workers (under a second of imports each) costs more than it saves
CHUNK_RECORDS = 1000


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
_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


class ThresholdVote:
    """A declared `field_threshold` rule as a labeling function: ``(op, value, label)`` comparisons on one
    field, the first the record's value passes wins; no value (or a boolean) abstains. A class rather than a
    closure so that it pickles (worker processes)."""

    def __init__(self, name: str, field: str, thresholds: tuple[tuple[str, float, str], ...]) -> None:
        self.__name__ = name
        self.field = field
        self.thresholds = tuple((_OPS[op], value, label) for op, value, label in thresholds)

    def __call__(self, record: RecordView) -> str | None:
        value = record.value(self.field)
        if value is None or isinstance(value, bool):
            return None
        return next((label for op, limit, label in self.thresholds if op(float(value), limit)), None)


def whole_words(terms: tuple[str, ...]) -> str:
    """A pattern finding any of `terms` as whole words; longest first, so "cast iron" wins over "iron" at
    the same place."""
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=lambda t: (-len(t), t)))
    return rf"(?<!\w)(?:{alternatives})(?!\w)"


class AnyCaseWords:
    """Whether any of `terms` occurs as whole words in any case, as ``re.compile(whole_words(terms),
    re.IGNORECASE).search`` says, found about twice as fast in ASCII text (nearly every review) when the
    terms are ASCII too: between ASCII text and ASCII terms, any case is the lowercased terms in the
    lowered text (lowering ASCII changes neither which characters are word characters nor where they are),
    and no match is possible where no lowered term is a substring, which is checked first. Other text
    (where the flag also matches, say, the long s to ``s`` or the Kelvin sign to ``k``) is searched with
    the flag. Pickles, for worker processes."""

    def __init__(self, terms: tuple[str, ...]) -> None:
        self.caseless = re.compile(whole_words(terms), re.IGNORECASE)
        self.needles = tuple(sorted({t.lower() for t in terms}))
        self.lowered = re.compile(whole_words(self.needles)) if all(t.isascii() for t in terms) else None

    def search(self, text: str) -> bool:
        if self.lowered is not None and text.isascii():
            lowered = text.lower()
            return any(n in lowered for n in self.needles) and self.lowered.search(lowered) is not None
        return self.caseless.search(text) is not None


class PatternVote:
    """A declared `keyword` or `regex` rule as a labeling function: the one label whose pattern is found in
    the text; none or several abstain. A class rather than a closure so that it pickles."""

    def __init__(self, name: str, patterns: tuple[tuple[str, re.Pattern[str] | AnyCaseWords], ...]) -> None:
        self.__name__ = name
        self.patterns = patterns

    def __call__(self, record: RecordView) -> str | None:
        text = record.text or ""
        matched = [label for label, pattern in self.patterns if pattern.search(text)]
        return matched[0] if len(matched) == 1 else None


def _votes(records: list[RecordView], functions: dict[str, LabelingFunction]) -> list[list[str | None]]:
    """Each record's labels, one per function in order: what a worker sends back (small to pickle)."""
    return [[fn(r) for fn in functions.values()] for r in records]


def apply_functions(
    records: Sequence[RecordView],
    functions: Mapping[str, LabelingFunction],
    log: Callable[[str], None] | None = None,
    workers: int | None = None,
) -> list[dict[str, object]]:
    """One vote row per (record, function), abstentions included so coverage can be measured.

    From `PARALLEL_MIN_RECORDS` records on, the functions run over `workers` processes (default: the cores
    this process may use) in chunks, gathered in record order: the rows are the same as from one process.
    Functions that cannot go to a worker (a closure, a lambda) run here. With ``log``, progress lines as the
    crawl writes them (`gleaner.progress`): at 100k records the rules take a minute, and a run that says
    nothing for that long looks stuck."""
    progress = Progress(log, "records labelled by rules", len(records)) if log is not None else None
    functions = dict(functions)
    workers = default_workers() if workers is None else workers
    if workers > 1 and len(records) >= PARALLEL_MIN_RECORDS and picklable(functions):
        chunks = ordered_chunks(partial(_votes, functions=functions), chunked(records, CHUNK_RECORDS), workers)
    else:
        chunks = ((chunk, _votes(chunk, functions)) for chunk in chunked(records, CHUNK_RECORDS))
    rows: list[dict[str, object]] = []
    for chunk, labels in chunks:
        for r, votes in zip(chunk, labels, strict=True):
            rows.extend(
                {
                    "record_id": r.record_id,
                    "annotator": name,
                    "annotator_kind": "lf",
                    "label": label,
                    "confidence": None,
                }
                for name, label in zip(functions, votes, strict=True)
            )
        if progress is not None:
            progress.advance(len(chunk))
    return rows
