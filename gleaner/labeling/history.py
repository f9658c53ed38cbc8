"""What people labelled in every partition, for the calibrator and the model in the loop to learn from.

A team labels a few records a day, so one partition alone rarely holds enough human labels to fit a
calibration or train a model. The history gathers them from every partition before the one being labelled
(in partition order: date, then source), and it is a pure function of the labels step's own inputs: every
partition's `human_labels`, the `deduped_records` rows of the records people labelled, and answers already
in the LLM cache. Never of any `labels` table: those are this step's outputs, and learning from another
partition's output makes re-materializing a partition change its bytes whenever another one ran in between.

For each history record the machine votes calibration needs are recomputed here: the labeling functions
and rules (cheap and pure), and the LLM's votes only where the cache already holds the answers
(`cached_llm`, a read-only look-up: the history never sends a request). The model in the loop trains on
the history's human labels alongside the partition's labelled records, which gives its out-of-fold
probabilities for them (`gleaner.labeling.partition.label_partition`).

The warehouse comes in as a small protocol (`Tables`), so this runs and is tested without Dagster.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from gleaner.labeling.functions import LabelingFunction, RecordView, apply_functions


class Tables(Protocol):
    """The reads the history needs (`WarehouseResource` implements them)."""

    def read_all(self, asset: str) -> pl.DataFrame | None:
        """Every partition's rows of `asset`, or None when it has none."""
        ...

    def read_matching(self, asset: str, column: str, values: Collection[str]) -> pl.DataFrame | None:
        """Every partition's rows of `asset` whose `column` is one of `values`, or None."""
        ...


@dataclass(frozen=True)
class History:
    views: list[RecordView] = field(default_factory=list)  # the records people labelled, by record_id
    rows: list[dict] = field(default_factory=list)  # their votes: rules, cached LLM answers, people
    partitions: tuple[str, ...] = ()  # `source=x/date=y` of every partition the human labels came from

    @property
    def human_labels(self) -> int:
        return sum(row["annotator_kind"] == "human" for row in self.rows)

    def metadata(self) -> dict[str, object]:
        return {
            "learned_from/human_labels": self.human_labels,
            "learned_from/records": len(self.views),
            "learned_from/partitions": len(self.partitions),
        }


def _partition(row: Mapping[str, Any]) -> str:
    return f"source={row.get('source')}/date={row.get('partition_date')}"


def labelled_history(
    tables: Tables,
    human_table: str,
    records_table: str,
    view: Callable[[Mapping[str, Any]], RecordView],
    functions: Mapping[str, LabelingFunction],
    cached_llm: Callable[[Sequence[RecordView]], list[dict]] = lambda _views: [],
    exclude: Collection[str] = (),
    before: tuple[str, str] | None = None,
) -> History:
    """Every partition's human labels with their records' machine votes, leaving out `exclude` (record ids:
    the partition being labelled, whose own votes and human labels it already has) and, with `before`
    (`(date, source)` of the partition being labelled), every partition not ordered before it. `view` makes
    a record row a `RecordView`; `cached_llm` gives LLM vote rows from the cache alone. A human label whose
    record is in no partition's `deduped_records` (removed by dedup since) is left out.

    Why `before`: a partition that learnt from a later one would change its bytes on a rerun once the later
    one exists (the demo labels acme, then globex; re-ingesting acme must give acme's bytes again). In
    partition order (date, then source), as dedup walks survival order, the newest partition learns from
    everything before it, and no partition's labels depend on when the others were materialized."""
    humans = tables.read_all(human_table)
    if humans is None or humans.is_empty():
        return History()
    skip = set(exclude)
    humans = humans.filter(~pl.col("record_id").is_in(list(skip)) & pl.col("label").is_not_null())
    if before is not None:
        date, source = before
        earlier = (pl.col("partition_date") < date) | ((pl.col("partition_date") == date) & (pl.col("source") < source))
        humans = humans.filter(earlier)
    wanted = sorted(set(humans["record_id"].to_list()))
    records = tables.read_matching(records_table, "record_id", wanted) if wanted else None
    if records is None or records.is_empty():
        return History()
    # One row per record (a record id lives in one partition; sort first so a stray twin cannot reorder it).
    sort_by = [c for c in ("record_id", "partition_date", "source") if c in records.columns]
    records = records.sort(sort_by).unique(subset=["record_id"], keep="first", maintain_order=True)
    views = [view(row) for row in records.iter_rows(named=True)]
    known = {v.record_id for v in views}
    humans = humans.filter(pl.col("record_id").is_in(list(known)))
    order = [c for c in ("record_id", "annotator", "annotation_id", "updated_at", "label") if c in humans.columns]
    human_rows = [
        {"record_id": h["record_id"], "annotator": h["annotator"], "annotator_kind": "human",
         "label": h["label"], "confidence": None}
        for h in humans.sort(order).iter_rows(named=True)
    ]  # fmt: skip
    rows = apply_functions(views, functions) + cached_llm(views) + human_rows
    partitions = tuple(sorted({_partition(h) for h in humans.iter_rows(named=True)}))
    return History(views, rows, partitions)
