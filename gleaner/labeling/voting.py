"""The two counting rules every resolution shares: a plurality without ties, and when a model majority may
label on its own.

The LLM labeler uses `model_majority` to decide when to stop asking and to report its own outcome; the
`labels` asset's per-record resolution (`gleaner.labeling.resolution`) uses the same function for the LLM
step, so the labeler's verdict and the published label can never disagree about what a majority is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Status = Literal["auto", "needs_review"]


class Ballot(Protocol):
    """One vote as the counting rules see it: a label when it succeeded (`ok`) and its confidence."""

    @property
    def label(self) -> str | None: ...

    @property
    def confidence(self) -> float | None: ...

    @property
    def ok(self) -> bool: ...


def plurality(labels: Iterable[str]) -> tuple[str | None, int]:
    """The most frequent label and its count; None (with the tied count) when the top is shared.

    Counted with a plain dict rather than `Counter.most_common`: it runs for every record several times
    (resolution, calibration, agreement), on two to five votes, where the sort cost three times the count."""
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    if not counts:
        return None, 0
    best = max(counts.values())
    top = None
    for label, count in counts.items():
        if count == best:
            if top is not None:
                return None, best
            top = label
    return top, best


@dataclass(frozen=True)
class ModelMajority:
    label: str | None  # the majority's label when it stands (even below the threshold)
    confidence: float | None  # mean confidence of the agreeing votes
    status: Status
    agreeing: int
    detail: str
    leader: str | None = None  # the plurality label, majority or not: the best guess for review


def model_majority(votes: Sequence[Ballot], majority: int, threshold: float) -> ModelMajority:
    """`auto` when at least `majority` successful votes agree and their mean confidence clears `threshold`."""
    label, agreeing = plurality(v.label for v in votes if v.ok)
    failed = sum(not v.ok for v in votes)
    if label is None or agreeing < majority:
        detail = f"no majority: {agreeing} of {majority} needed agree"
        if failed:
            detail += f"; {failed} failed vote(s)"
        return ModelMajority(None, None, "needs_review", agreeing, detail, leader=label)
    confidences = [v.confidence or 0.0 for v in votes if v.ok and v.label == label]
    confidence = sum(confidences) / len(confidences)
    if confidence < threshold:
        detail = f"low confidence: {confidence:.3f} < {threshold}"
        return ModelMajority(label, confidence, "needs_review", agreeing, detail, leader=label)
    return ModelMajority(label, confidence, "auto", agreeing, f"{agreeing} agreeing vote(s)", leader=label)
