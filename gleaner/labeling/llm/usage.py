"""What labelling cost: calls, retries, cache hits, tokens and dollars, for run metadata and budgets.

`calls` counts answers we asked for (including calls that finally failed); `http_attempts` counts what
actually went over the wire, so in live mode `http_attempts - calls` is the retry overhead the SDK absorbed.
In batch mode `http_attempts` also includes the batch create/poll/results requests. Tokens and cost only
count answers paid for in this run; cache hits (our answer cache) are free by definition. Prompt-cache
tokens are the API's own cache: `cache_read_tokens` are billed at `ModelPrice.cache_read_factor` (a tenth)
of the input price, `cache_write_tokens` at `cache_write_factor`; `input_tokens` is the uncached rest.

`per_labeled_record` turns a run's totals into the figures the issue asks for: calls per labelled record,
the cached share of input tokens and the estimated cost per 1,000 labelled records.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from gleaner.labeling.llm.config import ModelPrice
from gleaner.labeling.llm.protocol import Answer


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
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def calls_per_record(self) -> float:
        return self.calls / self.records if self.records else 0.0

    @property
    def cached_token_share(self) -> float:
        """Share of all input tokens read from the prompt cache."""
        total = self.input_tokens + self.cache_read_tokens + self.cache_write_tokens
        return self.cache_read_tokens / total if total else 0.0


def per_labeled_record(calls: int, cost_usd: float | None, labeled: int) -> dict[str, float | None]:
    """`calls_per_labeled_record` and `cost_per_1000_labeled_usd` (None without a price) for a run that
    published `labeled` labels (auto and human)."""
    per_record = 1 / labeled if labeled else 0.0
    return {
        "calls_per_labeled_record": round(calls * per_record, 4),
        "cost_per_1000_labeled_usd": None if cost_usd is None else round(1000 * cost_usd * per_record, 4),
    }


class UsageMeter:
    """Thread-safe running totals; `snapshot()` hands out an immutable copy."""

    def __init__(self, price: ModelPrice | None, batch_discount: float) -> None:
        self._price = price
        self._batch_discount = batch_discount
        self._lock = threading.Lock()
        self._records = self._calls = self._attempts = self._hits = self._failed = 0
        self._input = self._output = self._batch_jobs = self._redactions = 0
        self._cache_read = self._cache_write = 0
        self._cost = 0.0

    def add_records(self, n: int, redactions: int) -> None:
        with self._lock:
            self._records += n
            self._redactions += redactions

    def add_attempt(self) -> None:
        with self._lock:
            self._attempts += 1

    def add_call(
        self,
        input_tokens: int,
        output_tokens: int,
        *,
        batched: bool = False,
        cache_read: int = 0,
        cache_write: int = 0,
    ) -> None:
        with self._lock:
            self._calls += 1
            self._input += input_tokens
            self._output += output_tokens
            self._cache_read += cache_read
            self._cache_write += cache_write
            price = self._price
            if price is not None:
                factor = self._batch_discount if batched else 1.0
                inputs = input_tokens + cache_read * price.cache_read_factor + cache_write * price.cache_write_factor
                self._cost += factor * (inputs * price.input_per_mtok + output_tokens * price.output_per_mtok) / 1e6

    def add_answer(self, answer: Answer, *, batched: bool = False) -> None:
        """One paid-for answer, with its prompt-cache tokens."""
        self.add_call(
            answer.input_tokens,
            answer.output_tokens,
            batched=batched,
            cache_read=answer.cache_read_tokens,
            cache_write=answer.cache_write_tokens,
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
                cache_read_tokens=self._cache_read,
                cache_write_tokens=self._cache_write,
            )
