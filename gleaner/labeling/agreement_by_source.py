"""Which rows of the `labels` asset are annotation sources, and their agreement report.

Every vote is a source except two kinds of row. The resolved row is derived from the others. An LLM vote
marked `conditional` was asked only because the earlier votes disagreed or failed (early stopping), so it
exists only on hard records: counting it would bias every statistic it enters downwards. Fleiss' kappa is
taken over the LLM's unconditional votes, the ones asked of every record, on the records where all of them
returned a label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from gleaner.labeling.agreement import agreement_report


def source_votes(rows: Iterable[Mapping[str, object]]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """annotator -> {record -> label} for every source, and the unconditional LLM annotators."""
    votes: dict[str, dict[str, str]] = {}
    llm: set[str] = set()
    for row in rows:
        kind, annotator = row["annotator_kind"], str(row["annotator"])
        if kind == "resolved" or row.get("conditional"):
            continue
        if kind == "llm":
            llm.add(annotator)
        if row["label"] is not None:
            votes.setdefault(annotator, {})[str(row["record_id"])] = str(row["label"])
    return votes, sorted(llm)


def source_agreement(rows: Iterable[Mapping[str, object]], min_shared: int = 1) -> dict[str, Any]:
    votes, llm = source_votes(rows)
    return agreement_report(votes, fleiss_annotators=llm, min_shared=min_shared)
