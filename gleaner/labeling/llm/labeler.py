"""Label records with an LLM by majority vote, paying for each distinct question at most once.

Per record: scrub PII, hash the scrubbed text, then collect votes (from the cache when possible) until the
majority is settled, and resolve them into a label that is either accepted automatically or sent to review.
Records with identical scrubbed text share one set of votes.

Failure policy: the SDK owns retrying (429, 529, 5xx, timeouts, with `retry-after` honoured); there is no
retry loop here to multiply it. A call that still fails becomes a failed vote, an answer that breaks the
tool contract becomes a failed vote, and only errors that every further call would repeat (bad key, no
access, unknown model) stop the run, as `LabelerConfigurationError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gleaner.labeling.llm.batches import BatchVoter
from gleaner.labeling.llm.cache import CacheKey, LabelCache, text_sha256
from gleaner.labeling.llm.config import LLMLabelerConfig
from gleaner.labeling.llm.protocol import (
    LabelerConfigurationError,
    call_errors,
    describe_error,
    fatal_errors,
    judge_message,
    request_params,
)
from gleaner.labeling.llm.usage import LLMUsage, UsageMeter
from gleaner.labeling.llm.votes import LLMResult, LLMVote, next_vote_indices
from gleaner.labeling.pii import scrub_text
from gleaner.labeling.voting import model_majority
from gleaner.progress import Progress

if TYPE_CHECKING:
    import anthropic


def cached_results(config: LLMLabelerConfig, cache: LabelCache, items: Sequence[tuple[str, str]]) -> list[LLMResult]:
    """What the labeler would answer for `(record_id, text)` pairs from the cache alone: no client, no
    request, nothing written. The votes are walked as `LLMLabeler` asks them (same scrubbing, keys and early
    stop), so a record gets exactly the votes it was given when it was labelled; a record whose walk needs
    an answer the cache does not hold (never asked, or a vote that failed in transport) is left out."""
    results = []
    for record_id, text in items:
        sha = text_sha256(scrub_text(text).text)
        votes: list[LLMVote] = []
        while indices := next_vote_indices(votes, config.votes, config.majority):
            answers = [cache.get(CacheKey(config.model, config.prompt_version, i, sha)) for i in indices]
            if any(answer is None for answer in answers):
                votes = []
                break
            votes.extend(LLMVote.from_answer(i, a, cached=True) for i, a in zip(indices, answers, strict=True))
        if votes:
            resolution = model_majority(votes, config.majority, config.confidence_threshold)
            results.append(LLMResult(record_id, sha, config.model, config.prompt_version, tuple(votes), resolution))
    return results


@dataclass(frozen=True)
class _Prepared:
    record_id: str
    sha: str


class LLMLabeler:
    """Thread-safe; one instance (one HTTP connection pool) should serve a whole run.

    `usage` accumulates over the labeler's lifetime, across `label_many` calls.
    """

    def __init__(
        self,
        config: LLMLabelerConfig,
        cache: LabelCache,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self._cache = cache
        self._log = log or (lambda _message: None)
        self._secret = config.api_key.get_secret_value()
        self._meter = UsageMeter(config.price, config.batch_discount)
        import anthropic

        self._client = anthropic.Anthropic(
            api_key=self._secret,
            base_url=config.base_url,
            max_retries=config.max_retries,
            timeout=config.timeout_seconds,
            middleware=[self._count_attempt],
        )

    def __repr__(self) -> str:
        return f"LLMLabeler(model={self.config.model!r}, prompt_version={self.config.prompt_version!r})"

    def __enter__(self) -> LLMLabeler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    @property
    def usage(self) -> LLMUsage:
        return self._meter.snapshot()

    def _count_attempt(self, request: anthropic.APIRequest, call_next: anthropic.CallNext) -> Any:
        # Middleware runs once per HTTP attempt inside the SDK's retry loop, so this sees every retry.
        self._meter.add_attempt()
        return call_next(request)

    def _key(self, vote_index: int, sha: str) -> CacheKey:
        return CacheKey(self.config.model, self.config.prompt_version, vote_index, sha)

    # -- public --------------------------------------------------------------------------------------------

    def label_many(self, items: Sequence[tuple[str, str]]) -> list[LLMResult]:
        """Label `(record_id, text)` pairs; results come back in input order whatever the concurrency."""
        prepared, unique, redactions = self._prepare(items)
        self._meter.add_records(len(prepared), redactions)
        batched = self._batched(unique)
        mode = "batch" if batched else "live"
        self._log(
            f"llm labeling {len(prepared)} records ({len(unique)} distinct texts) with {self.config.model}, "
            f"prompt {self.config.prompt_version}, {mode} mode, up to {self.config.votes} votes"
        )
        try:
            if batched:
                voter = BatchVoter(self._client, self.config, self._cache, self._meter, self._log)
                votes_by_sha = voter.votes(unique)
            else:
                votes_by_sha = self._votes_live(unique)
        finally:
            self._cache.flush()

        results = [
            LLMResult(
                record_id=p.record_id,
                text_sha256=p.sha,
                model=self.config.model,
                prompt_version=self.config.prompt_version,
                votes=votes_by_sha[p.sha],
                resolution=model_majority(votes_by_sha[p.sha], self.config.majority, self.config.confidence_threshold),
            )
            for p in prepared
        ]
        auto = sum(r.resolution.status == "auto" for r in results)
        usage = self.usage
        self._log(
            f"llm labeling done: {auto}/{len(results)} auto, {len(results) - auto} need review; "
            f"{usage.calls} calls, {usage.http_attempts} http attempts, {usage.cache_hits} cache hits, "
            f"{usage.failed_votes} failed votes so far"
        )
        return results

    # -- internals ------------------------------------------------------------------------------------------

    def _prepare(self, items: Sequence[tuple[str, str]]) -> tuple[list[_Prepared], dict[str, str], int]:
        prepared: list[_Prepared] = []
        unique: dict[str, str] = {}
        redactions = 0
        for record_id, text in items:
            scrubbed = scrub_text(text)
            redactions += scrubbed.total
            sha = text_sha256(scrubbed.text)
            unique.setdefault(sha, scrubbed.text)
            prepared.append(_Prepared(record_id, sha))
        return prepared, unique, redactions

    def _batched(self, unique: dict[str, str]) -> bool:
        """Batches when configured, or when the first wave holds `batch_min_requests` uncached requests."""
        if self.config.use_batches or self.config.batch_min_requests is None:
            return self.config.use_batches
        first = next_vote_indices([], self.config.votes, self.config.majority)
        uncached = sum(self._cache.get(self._key(i, sha)) is None for sha in unique for i in first)
        return uncached >= self.config.batch_min_requests

    def _votes_live(self, unique: dict[str, str]) -> dict[str, tuple[LLMVote, ...]]:
        executor = ThreadPoolExecutor(max_workers=self.config.max_concurrency, thread_name_prefix="llm-label")
        futures: dict[Future[tuple[LLMVote, ...]], str] = {}
        progress = Progress(self._log, "llm labeling: distinct texts voted", len(unique))
        votes: dict[str, tuple[LLMVote, ...]] = {}
        try:
            for sha, text in unique.items():
                futures[executor.submit(self._votes_for, sha, text)] = sha
            for future in as_completed(futures):  # as they finish, so progress is real; order restored below
                votes[futures[future]] = future.result()
                progress.advance()
            return {sha: votes[sha] for sha in unique}
        finally:
            # On a fatal error, do not start the calls still queued; the ones in flight finish.
            executor.shutdown(wait=True, cancel_futures=True)

    def _votes_for(self, sha: str, text: str) -> tuple[LLMVote, ...]:
        votes: list[LLMVote] = []
        while indices := next_vote_indices(votes, self.config.votes, self.config.majority):
            votes.extend(self._vote(index, sha, text) for index in indices)
        return tuple(votes)

    def _vote(self, index: int, sha: str, text: str) -> LLMVote:
        key = self._key(index, sha)
        cached = self._cache.get(key)
        if cached is not None:
            self._meter.add_cache_hit()
            vote = LLMVote.from_answer(index, cached, cached=True)
        else:
            vote = self._ask(index, key, text)
        if not vote.ok:
            self._meter.add_failed_vote()
            self._log(f"llm vote failed: text {sha[:12]} vote {index}: {vote.error}")
        return vote

    def _ask(self, index: int, key: CacheKey, text: str) -> LLMVote:
        try:
            message = self._client.messages.create(**request_params(self.config, text))
        except fatal_errors() as exc:
            self._meter.add_call(0, 0)
            raise LabelerConfigurationError(describe_error(exc, self._secret)) from None
        except call_errors() as exc:
            self._meter.add_call(0, 0)
            return LLMVote.failure(index, describe_error(exc, self._secret))
        answer = judge_message(self.config, message, text)
        self._meter.add_answer(answer)
        self._cache.put(key, answer)
        return LLMVote.from_answer(index, answer, cached=False)
