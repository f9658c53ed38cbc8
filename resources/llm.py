"""The LLM labeler as a resource: the key comes from `EnvVar("ANTHROPIC_API_KEY")`, everything else is config.

There is no temperature setting: the SDK's API version rejects sampling parameters, and votes are
independent anyway because each call is sampled afresh. Without a key the labeler is off: the run says
so once and the rest of the graph runs on rules and humans.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import dagster as dg
from pydantic import Field

from gleaner.labeling.functions import RecordView
from gleaner.llm_cache import ParquetLabelCache
from gleaner.llm_config import LLMLabelerConfig
from gleaner.llm_labeler import LLMLabeler


class LLMLabelerResource(dg.ConfigurableResource):
    api_key: str | None = Field(default=None, repr=False)
    base_url: str | None = None
    model: str = "claude-haiku-4-5"
    votes: int = 3
    max_concurrency: int = 4
    prompt_version: str = "sentiment-v1"
    confidence_threshold: float = 0.92
    max_retries: int = 2
    timeout_seconds: float = 60.0
    cache_dir: str | None = None  # None: <warehouse>/llm_cache

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)

    def labeler_config(self) -> LLMLabelerConfig:
        return LLMLabelerConfig(
            api_key=self.api_key or "",
            base_url=self.base_url,
            model=self.model,
            votes=self.votes,
            max_concurrency=self.max_concurrency,
            prompt_version=self.prompt_version,
            confidence_threshold=self.confidence_threshold,
            max_retries=self.max_retries,
            timeout_seconds=self.timeout_seconds,
        )

    def vote_rows(
        self, records: Sequence[RecordView], cache_dir: str, log: Callable[[str], None]
    ) -> tuple[list[dict], dict[str, object]]:
        """One row per LLM vote (failed votes carry their reason), plus usage metadata for the asset."""
        if not self.enabled:
            log("LLM labeler off: ANTHROPIC_API_KEY is not set; labelling with rules and human labels only")
            return [], {"llm_enabled": False}
        cache = ParquetLabelCache(self.cache_dir or cache_dir)
        with LLMLabeler(self.labeler_config(), cache, log=log) as labeler:
            results = labeler.label_many([(r.record_id, r.text) for r in records])
            usage = labeler.usage
        cache.flush()
        rows = [
            {
                "record_id": result.record_id,
                "annotator": f"llm:{result.model}:vote{vote.index}",
                "annotator_kind": "llm",
                "label": vote.label if vote.ok else None,
                "confidence": vote.confidence if vote.ok else None,
                "reason": vote.error or vote.reason,
            }
            for result in results
            for vote in result.votes
        ]
        metadata: dict[str, object] = {"llm_enabled": True, "llm_model": self.model}
        for name, value in dataclasses.asdict(usage).items():
            if value is not None:
                metadata[f"llm_{name}"] = value
        metadata["llm_calls_per_record"] = round(usage.calls_per_record, 3)
        return rows, metadata
