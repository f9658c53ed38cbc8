"""The LLM labeler as a resource: the key comes from `EnvVar("ANTHROPIC_API_KEY")`, everything else is config.

There is no temperature setting: the SDK's API version rejects sampling parameters, and votes are
independent anyway because each call is sampled afresh. What is asked (labels, guidelines, votes, the
confidence threshold) is not here either: it belongs to each dataset's file. Without a key the labeler is
off: the run says so once and the rest of the graph runs on rules and humans.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import dagster as dg
from pydantic import Field

from gleaner.datasets import DatasetSpec
from gleaner.labeling import RecordView
from gleaner.labeling.llm import (
    LLMLabeler,
    LLMLabelerConfig,
    ModelPrice,
    ParquetLabelCache,
    cached_results,
    label_vote_rows,
    span_vote_rows,
)


class LLMLabelerResource(dg.ConfigurableResource):
    api_key: str | None = Field(default=None, repr=False)
    base_url: str | None = None
    model: str = "claude-haiku-4-5"
    # What to ask, how many votes and the prompt's version come from each dataset's file (`llm:`), not here.
    max_concurrency: int = 4
    max_retries: int = 2
    timeout_seconds: float = 60.0
    cache_dir: str | None = None  # None: <warehouse>/llm_cache
    # USD per million tokens, from the provider's pricing page. A model missing here is labelled all the
    # same; its cost is reported as unknown.
    input_usd_per_mtok: dict[str, float] = {"claude-haiku-4-5": 1.0}
    output_usd_per_mtok: dict[str, float] = {"claude-haiku-4-5": 5.0}
    use_batches: bool = False  # Message Batches: half the price, answers within 24 h; for large partitions
    batch_poll_interval_seconds: float = 30.0
    batch_max_wait_seconds: float = 24 * 3600.0
    batch_min_requests: int | None = None  # batches chosen automatically from this many uncached requests

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)

    def labeler_config(self, spec: DatasetSpec) -> LLMLabelerConfig:
        """The deployment's settings asking `spec`'s task: its prompt, tool, labels, votes and a prompt version
        carrying the spec's hash, so a cached answer to an older declaration is never reused."""
        base = LLMLabelerConfig(
            api_key=self.api_key or "",
            base_url=self.base_url,
            model=self.model,
            prompt_version="unset",
            confidence_threshold=spec.review.routing_threshold,
            max_concurrency=self.max_concurrency,
            max_retries=self.max_retries,
            timeout_seconds=self.timeout_seconds,
            prices={
                model: ModelPrice(input_per_mtok=price, output_per_mtok=self.output_usd_per_mtok[model])
                for model, price in self.input_usd_per_mtok.items()
                if model in self.output_usd_per_mtok
            },
            use_batches=self.use_batches,
            batch_poll_interval_seconds=self.batch_poll_interval_seconds,
            batch_max_wait_seconds=self.batch_max_wait_seconds,
            batch_min_requests=self.batch_min_requests,
        )
        return spec.labeler_config(base)

    def cached_vote_rows(self, records: Sequence[RecordView], cache_dir: str, spec: DatasetSpec) -> list[dict]:
        """Classification vote rows for `records` from the answer cache alone: no request, nothing written.
        For the labels step's history (`gleaner.labeling.history`); empty when the labeler is off, as the
        partition's own records then have no LLM votes either."""
        if not (self.enabled and spec.llm.enabled) or not records:
            return []
        config = self.labeler_config(spec)
        cache = ParquetLabelCache(self.cache_dir or cache_dir)
        results = cached_results(config, cache, [(r.record_id, r.text) for r in records])
        return label_vote_rows(results, config.majority)

    def vote_rows(
        self,
        records: Sequence[RecordView],
        cache_dir: str,
        log: Callable[[str], None],
        spec: DatasetSpec,
    ) -> tuple[list[dict], dict[str, object]]:
        """One row per LLM vote (failed votes carry their reason), plus usage metadata for the asset.

        A vote beyond the first `majority` is `conditional`: it was asked only because the earlier ones
        disagreed or failed, which agreement statistics must know.
        """
        if not self.enabled:
            log("LLM labeler off: ANTHROPIC_API_KEY is not set; labelling with rules and human labels only")
            return [], {"llm_enabled": False}
        if not spec.llm.enabled:
            log(f"LLM labeler off for {spec.name} (llm.enabled: false in its dataset file)")
            return [], {"llm_enabled": False}
        config = self.labeler_config(spec)
        cache = ParquetLabelCache(self.cache_dir or cache_dir)
        with LLMLabeler(config, cache, log=log) as labeler:
            results = labeler.label_many([(r.record_id, r.text) for r in records])
            usage = labeler.usage
        cache.flush()
        if spec.task == "spans":
            rows = span_vote_rows(results, {r.record_id: r.text for r in records}, config.majority)
        else:
            rows = label_vote_rows(results, config.majority)
        metadata: dict[str, object] = {
            "llm_enabled": True, "llm_model": config.model, "llm_prompt_version": config.prompt_version,
        }  # fmt: skip
        for name, value in dataclasses.asdict(usage).items():
            if value is not None:
                metadata[f"llm_{name}"] = value
        if usage.estimated_cost_usd is None:
            metadata["llm_estimated_cost_usd"] = f"unknown: no price configured for {config.model}"
        metadata["llm_calls_per_record"] = round(usage.calls_per_record, 3)
        metadata["llm_cached_token_share"] = round(usage.cached_token_share, 4)
        return rows, metadata
