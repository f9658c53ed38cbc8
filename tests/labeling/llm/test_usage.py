"""What a run costs: prompt-cache reads counted and priced, batches chosen by size, cost per labelled record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.anthropic_standin import AnthropicStandIn

from gleaner.labeling.llm import LLMLabeler, LLMLabelerConfig, ModelPrice, ParquetLabelCache, per_labeled_record

KEY = "sk-ant-usage-test-0123456789abcdef"
MODEL = "claude-haiku-4-5"
PRICE = ModelPrice(input_per_mtok=1.0, output_per_mtok=5.0)
TEXTS = [(f"r{n}", f"I love kettle number {n}, great") for n in range(6)]


@pytest.fixture
def api() -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn(KEY, min_cache_tokens=50) as server:  # a short test prompt still reaches the floor
        yield server


def _labeler(api: AnthropicStandIn, cache: Path, **settings: object) -> LLMLabeler:
    config = LLMLabelerConfig(
        api_key=KEY,
        base_url=api.base_url,
        model=MODEL,
        prompt_version="usage-v1",
        system_prompt="You label product reviews. " * 40,
        max_concurrency=1,
        prices={MODEL: PRICE},
        batch_poll_interval_seconds=0.01,
        **settings,
    )
    return LLMLabeler(config, ParquetLabelCache(cache))


def test_the_prompt_is_cached_once_and_read_after_at_a_tenth_of_the_input_price(
    api: AnthropicStandIn, tmp_path: Path
) -> None:
    with _labeler(api, tmp_path / "cache") as labeler:
        labeler.label_many(TEXTS)
        usage = labeler.usage

    [system] = api.message_requests()[0].body["system"]
    assert system["cache_control"] == {"type": "ephemeral"}
    assert usage.calls == 12 and usage.cache_write_tokens > 0
    assert usage.cache_read_tokens == 11 * usage.cache_write_tokens  # written by the first call, read by the rest
    assert usage.cached_token_share > 0.5
    inputs = usage.input_tokens + 0.1 * usage.cache_read_tokens + 1.25 * usage.cache_write_tokens
    assert usage.estimated_cost_usd == pytest.approx((inputs * 1.0 + usage.output_tokens * 5.0) / 1e6)


def test_without_caching_the_prompt_is_plain_input(api: AnthropicStandIn, tmp_path: Path) -> None:
    with _labeler(api, tmp_path / "cache", prompt_caching=False) as labeler:
        labeler.label_many(TEXTS)
        usage = labeler.usage
    assert isinstance(api.message_requests()[0].body["system"], str)
    assert usage.cache_read_tokens == usage.cache_write_tokens == 0 and usage.cached_token_share == 0.0


def test_batches_are_chosen_from_the_configured_number_of_uncached_requests(
    api: AnthropicStandIn, tmp_path: Path
) -> None:
    with _labeler(api, tmp_path / "small", batch_min_requests=13) as labeler:
        labeler.label_many(TEXTS)  # 12 requests in the first wave: live
        assert labeler.usage.batch_jobs == 0 and len(api.message_requests()) == 12
    with _labeler(api, tmp_path / "large", batch_min_requests=12) as labeler:
        labeler.label_many(TEXTS)
        assert labeler.usage.batch_jobs == 1 and len(api.message_requests()) == 12  # nothing more went live
    with _labeler(api, tmp_path / "large", batch_min_requests=12) as labeler:
        labeler.label_many(TEXTS)  # all cached now: nothing to send, no batch
        assert labeler.usage.batch_jobs == 0 and labeler.usage.cache_hits == 12


def test_cost_per_labeled_record() -> None:
    assert per_labeled_record(30, 0.06, 20) == {"calls_per_labeled_record": 1.5, "cost_per_1000_labeled_usd": 3.0}
    assert per_labeled_record(3, None, 0) == {"calls_per_labeled_record": 0.0, "cost_per_1000_labeled_usd": None}
