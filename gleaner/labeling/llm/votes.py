"""Majority voting over independent model answers: when to ask again, and what the votes add up to.

Asking is expensive, so a record gets only the votes that can still change its outcome: with three votes,
two agreeing answers settle it and the third call is made only on disagreement (or a failed vote). Once no
label can reach a majority any more, asking further is wasted money and the record goes to review.

A label is accepted automatically only when a strict majority of the configured votes agree AND their mean
confidence clears the threshold; everything else is routed to human review with the reason attached.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from gleaner.labeling.llm.protocol import Answer
from gleaner.labeling.voting import ModelMajority


@dataclass(frozen=True)
class LLMVote:
    index: int
    label: str | None
    confidence: float | None
    reason: str
    error: str | None
    input_tokens: int
    output_tokens: int
    cached: bool

    @property
    def ok(self) -> bool:
        return self.error is None and self.label is not None

    @classmethod
    def from_answer(cls, index: int, answer: Answer, *, cached: bool) -> LLMVote:
        return cls(
            index,
            answer.label,
            answer.confidence,
            answer.reason,
            answer.error,
            answer.input_tokens,
            answer.output_tokens,
            cached,
        )

    @classmethod
    def failure(cls, index: int, error: str) -> LLMVote:
        return cls(index, None, None, "", error, 0, 0, False)


@dataclass(frozen=True)
class LLMResult:
    record_id: str
    text_sha256: str
    model: str
    prompt_version: str
    votes: tuple[LLMVote, ...]
    resolution: ModelMajority


def next_vote_indices(votes: Sequence[LLMVote], total: int, majority: int) -> list[int]:
    """LLMVote indices that must be asked next; empty once the outcome is settled either way.

    Every returned vote is needed whatever the others answer (the leader still lacks that many votes), so
    the caller may ask them concurrently or in one batch without paying for a vote it could have skipped.
    """
    counts = Counter(v.label for v in votes if v.ok)
    leader = max(counts.values(), default=0)
    remaining = total - len(votes)
    if leader >= majority or leader + remaining < majority:
        return []
    start = len(votes)
    return list(range(start, start + (majority - leader)))
