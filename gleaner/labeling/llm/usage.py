"""What labelling cost: calls, retries, cache hits, tokens and dollars, for run metadata and budgets.

`calls` counts answers we asked for (including calls that finally failed); `http_attempts` counts what
actually went over the wire, so in live mode `http_attempts - calls` is the retry overhead the SDK absorbed.
In batch mode `http_attempts` also includes the batch create/poll/results requests. Tokens and cost only
count answers paid for in this run; cache hits are free by definition.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from gleaner.labeling.llm.config import ModelPrice


@dataclass(frozen=True)
class LLMUsage:
    records: int
    calls: int
    http_attempts: int
    cache_hits: int
    failed_votes: int
    input_tokens: int
    output_tokens: int
    estimated_cost_usd: float | None
    batch_jobs: int
    pii_redactions: int

    @property
    def calls_per_record(self) -> float:
        return self.calls / self.records if self.records else 0.0


class UsageMeter:
    """Thread-safe running totals; `snapshot()` hands out an immutable copy."""

    def __init__(self, price: ModelPrice | None, batch_discount: float) -> None:
        self._price = price
        self._batch_discount = batch_discount
        self._lock = threading.Lock()
        self._records = self._calls = self._attempts = self._hits = self._failed = 0
        self._input = self._output = self._batch_jobs = self._redactions = 0
        self._cost = 0.0

    def add_records(self, n: int, redactions: int) -> None:
        with self._lock:
            self._records += n
            self._redactions += redactions

    def add_attempt(self) -> None:
        with self._lock:
            self._attempts += 1

    def add_call(self, input_tokens: int, output_tokens: int, *, batched: bool = False) -> None:
        with self._lock:
            self._calls += 1
            self._input += input_tokens
            self._output += output_tokens
            if self._price is not None:
                factor = self._batch_discount if batched else 1.0
                self._cost += (
                    factor
                    * (input_tokens * self._price.input_per_mtok + output_tokens * self._price.output_per_mtok)
                    / 1_000_000
                )

    def add_cache_hit(self) -> None:
        with self._lock:
            self._hits += 1

    def add_failed_vote(self) -> None:
        with self._lock:
            self._failed += 1

    def add_batch_job(self) -> None:
        with self._lock:
            self._batch_jobs += 1

    def snapshot(self) -> LLMUsage:
        with self._lock:
            return LLMUsage(
                records=self._records,
                calls=self._calls,
                http_attempts=self._attempts,
                cache_hits=self._hits,
                failed_votes=self._failed,
                input_tokens=self._input,
                output_tokens=self._output,
                estimated_cost_usd=self._cost if self._price is not None else None,
                batch_jobs=self._batch_jobs,
                pii_redactions=self._redactions,
            )
