"""Collect votes through the Message Batches API: half the price, hours of latency, for large partitions.

Early stopping survives batching by working in waves: the first wave holds every vote that is needed
whatever the answers (two per record with three votes), the next wave only the tie-breakers for records
whose votes disagreed or failed. Each wave is one batch (split at the API's per-batch request limit).

A batch that does not end within `batch_max_wait_seconds` is cancelled and its votes fail as transient
(uncached), so the next run asks again. Batch results arrive in any order and are matched by `custom_id`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gleaner.labeling.llm.cache import CacheKey, LabelCache
from gleaner.labeling.llm.config import LLMLabelerConfig
from gleaner.labeling.llm.protocol import (
    LabelerConfigurationError,
    call_errors,
    describe_error,
    fatal_errors,
    judge_message,
    redact,
    request_params,
)
from gleaner.labeling.llm.usage import UsageMeter
from gleaner.labeling.llm.votes import LLMVote, next_vote_indices
from gleaner.progress import Progress

if TYPE_CHECKING:
    import anthropic

_Ask = tuple[str, int]  # (text sha256, vote index)


class BatchVoter:
    def __init__(
        self,
        client: anthropic.Anthropic,
        config: LLMLabelerConfig,
        cache: LabelCache,
        meter: UsageMeter,
        log: Callable[[str], None],
    ) -> None:
        self._client = client
        self._config = config
        self._cache = cache
        self._meter = meter
        self._log = log
        self._secret = config.api_key.get_secret_value()

    def votes(self, texts: dict[str, str]) -> dict[str, tuple[LLMVote, ...]]:
        votes: dict[str, list[LLMVote]] = {sha: [] for sha in texts}
        while True:
            wave = [
                (sha, index)
                for sha in texts
                for index in next_vote_indices(votes[sha], self._config.votes, self._config.majority)
            ]
            if not wave:
                return {sha: tuple(v) for sha, v in votes.items()}
            answered = self._wave(wave, texts)
            for sha, index in wave:
                vote = answered[(sha, index)]
                if not vote.ok:
                    self._meter.add_failed_vote()
                    self._log(f"llm vote failed: text {sha[:12]} vote {index}: {vote.error}")
                votes[sha].append(vote)

    def _key(self, ask: _Ask) -> CacheKey:
        return CacheKey(self._config.model, self._config.prompt_version, ask[1], ask[0])

    def _wave(self, wave: list[_Ask], texts: dict[str, str]) -> dict[_Ask, LLMVote]:
        answered: dict[_Ask, LLMVote] = {}
        to_ask: list[_Ask] = []
        for ask in wave:
            cached = self._cache.get(self._key(ask))
            if cached is None:
                to_ask.append(ask)
            else:
                self._meter.add_cache_hit()
                answered[ask] = LLMVote.from_answer(ask[1], cached, cached=True)
        size = self._config.batch_max_requests
        for start in range(0, len(to_ask), size):
            answered.update(self._run_batch(to_ask[start : start + size], texts))
        return answered

    def _run_batch(self, asks: list[_Ask], texts: dict[str, str]) -> dict[_Ask, LLMVote]:
        by_id = {f"q{n}": ask for n, ask in enumerate(asks)}
        requests: list[Any] = [
            {"custom_id": cid, "params": request_params(self._config, texts[sha])} for cid, (sha, _) in by_id.items()
        ]
        try:
            batch = self._client.messages.batches.create(requests=requests)
        except fatal_errors() as exc:
            raise LabelerConfigurationError(describe_error(exc, self._secret)) from None
        except call_errors() as exc:
            error = f"batch_not_created: {describe_error(exc, self._secret)}"
            return {ask: LLMVote.failure(ask[1], error) for ask in asks}
        self._meter.add_batch_job()
        self._log(f"llm batch {batch.id} submitted with {len(asks)} requests")

        if not self._wait_until_ended(batch.id, len(asks)):
            self._cancel(batch.id)
            error = f"batch_timeout: {batch.id} did not end within {self._config.batch_max_wait_seconds}s"
            return {ask: LLMVote.failure(ask[1], error) for ask in asks}

        answered: dict[_Ask, LLMVote] = {}
        try:
            for item in self._client.messages.batches.results(batch.id):
                ask = by_id.get(item.custom_id)
                if ask is not None and ask not in answered:
                    answered[ask] = self._vote_from_result(ask, item.result, texts[ask[0]])
        except fatal_errors() as exc:
            raise LabelerConfigurationError(describe_error(exc, self._secret)) from None
        except call_errors() as exc:
            self._log(f"llm batch {batch.id}: reading results failed: {describe_error(exc, self._secret)}")
        missing = f"batch_missing_result: {batch.id} returned no result for this request"
        return {ask: answered.get(ask) or LLMVote.failure(ask[1], missing) for ask in asks}

    def _wait_until_ended(self, batch_id: str, requests: int) -> bool:
        deadline = time.monotonic() + self._config.batch_max_wait_seconds
        progress = Progress(self._log, f"llm batch {batch_id}: requests done", requests)
        while True:
            try:
                batch = self._client.messages.batches.retrieve(batch_id)
                status = batch.processing_status
                counts = getattr(batch, "request_counts", None)
                if counts is not None:  # a batch can run for hours: say how far it got
                    progress.advance(max(0, requests - counts.processing - progress.done))
            except fatal_errors() as exc:
                raise LabelerConfigurationError(describe_error(exc, self._secret)) from None
            except call_errors() as exc:
                # The batch keeps running server-side; one failed poll is no reason to abandon it.
                status = None
                self._log(f"llm batch {batch_id}: poll failed: {describe_error(exc, self._secret)}")
            if status == "ended":
                return True
            if time.monotonic() + self._config.batch_poll_interval_seconds > deadline:
                return False
            time.sleep(self._config.batch_poll_interval_seconds)

    def _cancel(self, batch_id: str) -> None:
        try:
            self._client.messages.batches.cancel(batch_id)
            self._log(f"llm batch {batch_id}: cancelled after waiting {self._config.batch_max_wait_seconds}s")
        except call_errors() as exc:
            self._log(f"llm batch {batch_id}: cancel failed: {describe_error(exc, self._secret)}")

    def _vote_from_result(self, ask: _Ask, result: Any, text: str) -> LLMVote:
        kind = getattr(result, "type", None)
        if kind == "succeeded":
            answer = judge_message(self._config, getattr(result, "message", None), text)
            self._meter.add_answer(answer, batched=True)
            self._cache.put(self._key(ask), answer)
            return LLMVote.from_answer(ask[1], answer, cached=False)
        self._meter.add_call(0, 0, batched=True)
        if kind == "errored":
            error = getattr(getattr(result, "error", None), "error", None)
            detail = f"{getattr(error, 'type', 'unknown')}: {getattr(error, 'message', '')}"
            return LLMVote.failure(ask[1], redact(f"batch_errored: {detail}", self._secret))
        return LLMVote.failure(ask[1], f"batch_{kind or 'unknown'}: the request was not processed")
