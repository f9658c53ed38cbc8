"""The LLM labeler through the real `anthropic` SDK, against a local stand-in for the Messages API."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.anthropic_standin import (
    AnthropicStandIn,
    bad_request,
    bad_tool_input,
    malformed_json,
    ok,
    overloaded,
    rate_limited,
    refusal,
    server_error,
    slow,
    text_block,
)

from gleaner.labeling.llm.cache import CacheKey, ParquetLabelCache
from gleaner.labeling.llm.config import LLMLabelerConfig, ModelPrice
from gleaner.labeling.llm.labeler import LLMLabeler
from gleaner.labeling.llm.protocol import Answer, LabelerConfigurationError
from gleaner.labeling.llm.votes import LLMVote, next_vote_indices
from gleaner.labeling.voting import model_majority

KEY = "sk-ant-test-7Hq2ZxSECRETvalue0123456789"
MODEL = "claude-haiku-4-5"
PRICE = ModelPrice(input_per_mtok=1.0, output_per_mtok=5.0)

POSITIVE = "I love these headphones, great sound"
NEGATIVE = "Terrible, broken after a week, I want a refund"


@pytest.fixture
def api() -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn(KEY) as server:
        yield server


@pytest.fixture
def make_labeler(api: AnthropicStandIn, tmp_path: Path) -> Iterator[Callable[..., LLMLabeler]]:
    """Builds labelers on one cache directory (so a second labeler sees the first one's answers)."""
    made: list[LLMLabeler] = []

    def build(log: Callable[[str], None] | None = None, **overrides: Any) -> LLMLabeler:
        settings: dict[str, Any] = {
            "api_key": KEY,
            "base_url": api.base_url,
            "model": MODEL,
            "prompt_version": "sentiment-v1",
            "max_retries": 2,
            "timeout_seconds": 5.0,
            "max_concurrency": 4,
            "prices": {MODEL: PRICE},
            "batch_poll_interval_seconds": 0.01,
        }
        settings.update(overrides)
        labeler = LLMLabeler(LLMLabelerConfig(**settings), ParquetLabelCache(tmp_path / "cache"), log=log)
        made.append(labeler)
        return labeler

    yield build
    for labeler in made:
        labeler.close()


def calls_for(api: AnthropicStandIn, needle: str) -> int:
    return sum(needle in r.user_text() for r in api.message_requests())


# -- success and early stopping --------------------------------------------------------------------


def test_two_agreeing_votes_settle_a_record(api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]) -> None:
    labeler = make_labeler()
    [result] = labeler.label_many([("r1", POSITIVE)])

    assert len(api.message_requests()) == 2
    assert result.record_id == "r1"
    assert result.resolution.label == "positive"
    assert result.resolution.status == "auto"
    assert result.resolution.confidence == pytest.approx(0.97)
    assert result.resolution.agreeing == 2
    assert [v.index for v in result.votes] == [0, 1]
    assert all(v.ok and not v.cached and v.input_tokens > 0 and v.output_tokens == 25 for v in result.votes)

    usage = labeler.usage
    assert (usage.records, usage.calls, usage.http_attempts, usage.cache_hits) == (1, 2, 2, 0)
    assert usage.calls_per_record == 2.0
    tokens_in = sum(v.input_tokens for v in result.votes)
    assert usage.input_tokens == tokens_in and usage.output_tokens == 50
    assert usage.estimated_cost_usd == pytest.approx((tokens_in * 1.0 + 50 * 5.0) / 1e6)


def test_request_is_a_forced_tool_call_without_sampling_parameters(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]
) -> None:
    make_labeler(labels=("positive", "negative", "neutral")).label_many([("r1", POSITIVE)])

    request = api.message_requests()[0]
    body = request.body
    assert body["model"] == MODEL
    assert body["messages"] == [{"role": "user", "content": POSITIVE}]
    assert body["tool_choice"] == {"type": "tool", "name": "record_label", "disable_parallel_tool_use": True}
    [tool] = body["tools"]
    assert tool["name"] == "record_label"
    assert tool["input_schema"]["properties"]["label"]["enum"] == ["positive", "negative", "neutral"]
    assert tool["input_schema"]["required"] == ["label", "confidence", "reason"]
    assert not {"temperature", "top_p", "top_k"} & body.keys()
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["anthropic-version"]


def test_disagreement_asks_a_third_vote(api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]) -> None:
    api.on("mixed", ok("positive"), ok("negative"), ok("positive", confidence=0.95))
    [result] = make_labeler().label_many([("r1", "mixed feelings about this one")])

    assert len(api.message_requests()) == 3
    assert [v.label for v in result.votes] == ["positive", "negative", "positive"]
    assert result.resolution.label == "positive"
    assert result.resolution.agreeing == 2
    assert result.resolution.confidence == pytest.approx((0.97 + 0.95) / 2)
    assert result.resolution.status == "auto"


def test_all_votes_disagree_goes_to_review(api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]) -> None:
    api.on("torn", ok("positive"), ok("negative"), ok("neutral"))
    labeler = make_labeler(labels=("positive", "negative", "neutral"))
    [result] = labeler.label_many([("r1", "torn between the two")])

    assert len(api.message_requests()) == 3
    assert result.resolution.status == "needs_review"
    assert result.resolution.label is None and result.resolution.confidence is None
    assert "no majority" in result.resolution.detail


def test_majority_below_threshold_goes_to_review(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]
) -> None:
    api.on("meh", ok("positive", confidence=0.9), ok("positive", confidence=0.8))
    [result] = make_labeler().label_many([("r1", "meh, it is ok")])

    assert result.resolution.label == "positive"
    assert result.resolution.confidence == pytest.approx(0.85)
    assert result.resolution.status == "needs_review"
    assert "low confidence" in result.resolution.detail


# -- the SDK's retries -----------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [rate_limited("0.01"), overloaded("0.01")], ids=["429", "529"])
def test_transient_error_is_retried_by_the_sdk(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler], failure: Any
) -> None:
    api.on("flaky", failure)
    labeler = make_labeler()
    [result] = labeler.label_many([("r1", f"flaky network but {POSITIVE}")])

    requests = api.message_requests()
    assert len(requests) == 3  # vote 0 twice (one SDK retry), vote 1 once
    assert [r.headers["x-stainless-retry-count"] for r in requests] == ["0", "1", "0"]
    assert result.resolution.status == "auto" and all(v.ok for v in result.votes)
    usage = labeler.usage
    assert (usage.calls, usage.http_attempts, usage.failed_votes) == (2, 3, 0)


def test_server_error_forever_fails_the_vote_after_exactly_the_sdk_retries(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler], tmp_path: Path
) -> None:
    api.on("doomed", then=server_error("0.01"))
    labeler = make_labeler(max_retries=1)  # not the SDK default (2), so the wiring is what is tested
    [result] = labeler.label_many([("r1", "doomed request")])

    # Two failed votes leave no label able to reach a majority, so vote 2 is never asked.
    assert [v.index for v in result.votes] == [0, 1]
    assert len(api.message_requests()) == 2 * 2
    for vote in result.votes:
        assert not vote.ok and vote.label is None
        assert vote.error is not None and vote.error.startswith("InternalServerError: ")
        assert "Internal server error" in vote.error
    assert result.resolution.status == "needs_review"
    assert "2 failed vote(s)" in result.resolution.detail
    usage = labeler.usage
    assert (usage.calls, usage.http_attempts, usage.failed_votes, usage.input_tokens) == (2, 4, 2, 0)
    assert len(ParquetLabelCache(tmp_path / "cache")) == 0  # transport failures are never cached


def test_timeout_fails_the_vote(api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]) -> None:
    api.on("sluggish", then=slow(3.0))
    labeler = make_labeler(timeout_seconds=0.2, max_retries=0)
    [result] = labeler.label_many([("r1", "sluggish service")])

    assert len(api.message_requests()) == 2
    assert all(v.error is not None and v.error.startswith("APITimeoutError: ") for v in result.votes)
    assert result.resolution.status == "needs_review"


def test_malformed_json_fails_the_vote_and_is_asked_again_next_run(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]
) -> None:
    api.on("garbled", malformed_json())
    [result] = make_labeler().label_many([("r1", f"garbled reply, {POSITIVE}")])

    assert result.votes[0].error is not None and result.votes[0].error.startswith("JSONDecodeError: ")
    assert [v.label for v in result.votes] == [None, "positive", "positive"]
    assert result.resolution.status == "auto"

    second = make_labeler()
    [again] = second.label_many([("r1", f"garbled reply, {POSITIVE}")])
    assert second.usage.calls == 1 and second.usage.cache_hits == 1  # only the failed vote 0 is re-asked
    assert [v.cached for v in again.votes] == [False, True]
    assert again.votes[0].ok


def test_bad_request_is_a_failed_vote_not_a_crash(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]
) -> None:
    api.on("enormous", bad_request("prompt is too long: 250000 tokens > 200000 maximum"))
    [result] = make_labeler().label_many([("r1", f"enormous review {POSITIVE}")])

    assert result.votes[0].error is not None and result.votes[0].error.startswith("BadRequestError: ")
    assert len(result.votes) == 3 and result.resolution.label == "positive"


# -- answers that break the tool contract ----------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "error_prefix"),
    [
        (refusal(), "refusal: Declined by policy."),
        (text_block(), "no_tool_use: the model answered with text"),
        (bad_tool_input({"label": "neutral", "confidence": 0.9, "reason": "x"}), "invalid_label: 'neutral'"),
        (bad_tool_input({"label": "positive", "confidence": 1.5, "reason": "x"}), "invalid_confidence: 1.5"),
        (
            bad_tool_input({"label": "positive", "confidence": -0.1, "reason": "x"}),
            "invalid_confidence: -0.1",
        ),
        (
            bad_tool_input({"label": "positive", "confidence": "high", "reason": "x"}),
            "invalid_confidence: 'high'",
        ),
        (
            bad_tool_input({"label": "positive", "confidence": True, "reason": "x"}),
            "invalid_confidence: True",
        ),
        (bad_tool_input({"label": "positive", "confidence": 0.9}), "invalid_tool_input: missing reason"),
        (bad_tool_input(["positive", 0.9]), "invalid_tool_input: expected an object, got list"),
    ],
    ids=["refusal", "text", "label", "conf>1", "conf<0", "conf-str", "conf-bool", "no-reason", "list"],
)
def test_invalid_answer_is_a_failed_vote_that_is_cached(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler], reply: Any, error_prefix: str
) -> None:
    api.on("odd", reply)
    labeler = make_labeler()
    [result] = labeler.label_many([("r1", f"odd answer, {POSITIVE}")])

    failed = result.votes[0]
    assert failed.label is None and failed.confidence is None
    assert failed.error is not None and failed.error.startswith(error_prefix), failed.error
    assert failed.output_tokens == 25 or failed.error.startswith("refusal")  # paid for, so counted
    assert [v.label for v in result.votes[1:]] == ["positive", "positive"]
    assert result.resolution.status == "auto"
    assert labeler.usage.failed_votes == 1

    # A paid-for answer is not bought again: the same prompt version gets the same (failed) vote.
    rerun = make_labeler()
    [again] = rerun.label_many([("r1", f"odd answer, {POSITIVE}")])
    assert rerun.usage.calls == 0 and again.votes[0].error == failed.error


# -- cache -----------------------------------------------------------------------------------------


def test_second_run_is_served_from_the_cache(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler], tmp_path: Path
) -> None:
    api.on("mixed", ok("positive"), ok("negative"), ok("negative"))
    items = [("a", POSITIVE), ("b", NEGATIVE), ("c", "mixed bag")]
    first = make_labeler().label_many(items)
    assert len(api.message_requests()) == 2 + 2 + 3

    parts = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(parts) == 1 and parts[0].startswith("labels-") and parts[0].endswith(".parquet")

    second_labeler = make_labeler()
    second = second_labeler.label_many(items)
    assert len(api.message_requests()) == 7  # nothing new on the wire
    assert second_labeler.usage.calls == 0 and second_labeler.usage.http_attempts == 0
    assert second_labeler.usage.cache_hits == 7
    assert second_labeler.usage.estimated_cost_usd == 0.0
    assert [r.resolution for r in second] == [r.resolution for r in first]
    assert all(v.cached for r in second for v in r.votes)
    assert len(list((tmp_path / "cache").iterdir())) == 1  # nothing new to write


def test_cache_key_includes_prompt_version_and_model(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]
) -> None:
    make_labeler().label_many([("a", POSITIVE)])
    make_labeler(prompt_version="sentiment-v2").label_many([("a", POSITIVE)])
    make_labeler(model="claude-sonnet-4-6").label_many([("a", POSITIVE)])
    assert len(api.message_requests()) == 6
    make_labeler(prompt_version="sentiment-v2").label_many([("a", POSITIVE)])
    assert len(api.message_requests()) == 6


def test_records_with_the_same_scrubbed_text_share_votes(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]
) -> None:
    labeler = make_labeler()
    results = labeler.label_many(
        [("a", f"{POSITIVE}, mail me at ann@example.com"), ("b", f"{POSITIVE}, mail me at bob@example.org")]
    )
    assert len(api.message_requests()) == 2
    assert results[0].text_sha256 == results[1].text_sha256
    assert [r.record_id for r in results] == ["a", "b"]
    assert labeler.usage.records == 2 and labeler.usage.calls_per_record == 1.0


# -- privacy ---------------------------------------------------------------------------------------


def test_pii_is_scrubbed_before_the_request(api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]) -> None:
    text = (
        "Terrible! Email jane.doe@example.com or call (555) 123-4567. They charged 4111 1111 1111 1111 "
        "and shipped to 1600 Pennsylvania Avenue NW."
    )
    labeler = make_labeler()
    [result] = labeler.label_many([("r1", text)])

    received = api.everything_received()
    for secret in ("jane.doe", "example.com", "123-4567", "4111", "Pennsylvania"):
        assert secret not in received
    assert api.message_requests()[0].body["messages"][0]["content"] == (
        "Terrible! Email [EMAIL] or call [PHONE]. They charged [CARD] and shipped to [ADDRESS]."
    )
    assert result.resolution.label == "negative"
    assert labeler.usage.pii_redactions == 4


def test_api_key_never_appears_in_logs_repr_or_results(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler], caplog: pytest.LogCaptureFixture
) -> None:
    api.on("echo", bad_request("bad header {authorization}"))
    api.on("doomed", then=server_error("0.01"))
    messages: list[str] = []
    caplog.set_level(logging.DEBUG)  # the SDK and httpx2 log request options and retries at DEBUG
    labeler = make_labeler(log=messages.append)
    results = labeler.label_many([("a", f"echo {POSITIVE}"), ("b", "doomed"), ("c", NEGATIVE)])

    echoed = results[0].votes[0].error
    assert echoed is not None and "[REDACTED]" in echoed  # the stand-in really did echo it back
    assert messages and caplog.records
    surfaces = [
        *messages,
        caplog.text,
        repr(labeler),
        repr(labeler.config),
        str(labeler.config),
        labeler.config.model_dump_json(),
        repr(results),
        repr(labeler.usage),
    ]
    assert all(KEY not in surface for surface in surfaces)
    assert all(KEY not in r.raw_body.decode() for r in api.requests)  # only ever in the auth header


def test_wrong_key_stops_the_run_without_leaking_it(tmp_path: Path) -> None:
    with AnthropicStandIn("sk-ant-the-right-key") as server:
        config = LLMLabelerConfig(
            api_key=KEY, base_url=server.base_url, model=MODEL, prompt_version="v1", max_concurrency=2
        )
        labeler = LLMLabeler(config, ParquetLabelCache(tmp_path))
        with labeler, pytest.raises(LabelerConfigurationError) as raised:
            labeler.label_many([(str(i), POSITIVE + str(i)) for i in range(20)])
    assert "AuthenticationError" in str(raised.value)
    assert KEY not in str(raised.value)
    assert len(server.message_requests()) < 20 * 2  # queued records were not all attempted


# -- concurrency -----------------------------------------------------------------------------------


def test_concurrent_labelling_keeps_input_order(api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]) -> None:
    for i in range(0, 40, 3):
        api.on(f"item {i}:", slow(0.05), slow(0.05))  # early records finish last
    items = [(f"id-{i}", f"item {i}: " + (POSITIVE if i % 2 else NEGATIVE)) for i in range(40)]
    labeler = make_labeler(max_concurrency=6)
    results = labeler.label_many(items)

    assert [r.record_id for r in results] == [record_id for record_id, _ in items]
    assert [r.resolution.label for r in results] == ["positive" if i % 2 else "negative" for i in range(40)]
    assert 1 < api.max_in_flight <= 6
    assert labeler.usage.calls == 80


# -- Message Batches -------------------------------------------------------------------------------


def test_batches_mode_votes_in_waves(api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]) -> None:
    api.on("mixed", ok("positive"), ok("negative"), ok("negative"))
    labeler = make_labeler(use_batches=True)
    items = [("a", POSITIVE), ("b", "mixed bag"), ("c", NEGATIVE)]
    results = labeler.label_many(items)

    creates = [r for r in api.requests if r.method == "POST" and r.path == "/v1/messages/batches"]
    assert [len(r.body["requests"]) for r in creates] == [6, 1]  # two votes each, then one tie-breaker
    assert api.message_requests() == []
    assert [r.resolution.label for r in results] == ["positive", "negative", "negative"]
    assert [len(r.votes) for r in results] == [2, 3, 2]
    assert all(r.resolution.status == "auto" for r in results)

    usage = labeler.usage
    assert usage.batch_jobs == 2 and usage.calls == 7
    assert usage.estimated_cost_usd == pytest.approx(0.5 * (usage.input_tokens * 1.0 + usage.output_tokens * 5.0) / 1e6)

    rerun = make_labeler(use_batches=True)
    assert [r.resolution for r in rerun.label_many(items)] == [r.resolution for r in results]
    assert rerun.usage.batch_jobs == 0 and rerun.usage.cache_hits == 7


def test_batches_mode_errored_request_is_a_failed_vote(
    api: AnthropicStandIn, make_labeler: Callable[..., LLMLabeler]
) -> None:
    api.on("busy", overloaded(None))
    [result] = make_labeler(use_batches=True).label_many([("a", f"busy {POSITIVE}")])

    assert result.votes[0].error == "batch_errored: overloaded_error: Overloaded"
    assert [v.label for v in result.votes] == [None, "positive", "positive"]


def test_batches_mode_gives_up_and_cancels_after_max_wait(tmp_path: Path) -> None:
    with AnthropicStandIn(KEY, batch_polls_before_end=10_000) as server:
        config = LLMLabelerConfig(
            api_key=KEY,
            base_url=server.base_url,
            model=MODEL,
            prompt_version="v1",
            use_batches=True,
            batch_poll_interval_seconds=0.01,
            batch_max_wait_seconds=0.1,
        )
        cache = ParquetLabelCache(tmp_path)
        with LLMLabeler(config, cache) as labeler:
            [result] = labeler.label_many([("a", POSITIVE)])
        cancels = [r for r in server.requests if r.path.endswith("/cancel")]
    assert len(cancels) == 1
    assert all(v.error is not None and v.error.startswith("batch_timeout: ") for v in result.votes)
    assert len(cache) == 0


# -- cache storage ---------------------------------------------------------------------------------

ANSWER = Answer("positive", 0.97, "because", None, 10, 5)


def test_cache_parts_are_atomic_and_reload(tmp_path: Path) -> None:
    cache = ParquetLabelCache(tmp_path, flush_every=2)
    key = CacheKey(MODEL, "v1", 0, "a" * 64)
    cache.put(key, ANSWER)
    assert list(tmp_path.iterdir()) == []  # below flush_every nothing is written yet
    cache.put(CacheKey(MODEL, "v1", 1, "a" * 64), Answer(None, None, "", "refusal: no", 3, 0))
    assert len(cache.parts()) == 1  # flush_every reached
    cache.flush()
    assert len(cache.parts()) == 1  # nothing pending, no empty part
    (tmp_path / ".tmp-labels-crashed.parquet").write_bytes(b"half a file")  # a writer that died mid-write

    reloaded = ParquetLabelCache(tmp_path)
    assert len(reloaded) == 2
    assert reloaded.get(key) == ANSWER
    assert reloaded.get(CacheKey(MODEL, "v1", 1, "a" * 64)) == Answer(None, None, "", "refusal: no", 3, 0)
    assert reloaded.get(CacheKey(MODEL, "v2", 0, "a" * 64)) is None


def test_concurrent_writers_resolve_to_the_earliest_answer(tmp_path: Path) -> None:
    key = CacheKey(MODEL, "v1", 0, "b" * 64)
    first, second = ParquetLabelCache(tmp_path), ParquetLabelCache(tmp_path)
    first.put(key, ANSWER)
    second.put(key, Answer("negative", 0.5, "later", None, 1, 1))
    second.flush()
    first.flush()
    assert len(first.parts()) == 2
    assert ParquetLabelCache(tmp_path).get(key) == ANSWER


# -- vote arithmetic -------------------------------------------------------------------------------


def _vote(index: int, label: str | None, confidence: float = 0.95) -> LLMVote:
    if label is None:
        return LLMVote.failure(index, "boom")
    return LLMVote(index, label, confidence, "", None, 1, 1, False)


@pytest.mark.parametrize(
    ("labels", "total", "expected"),
    [
        ([], 3, [0, 1]),
        (["p", "p"], 3, []),
        (["p", "n"], 3, [2]),
        (["p", None], 3, [2]),
        ([None, None], 3, []),
        (["p", "n", "x"], 3, []),
        ([], 1, [0]),
        ([], 5, [0, 1, 2]),
        (["p", "p", "n"], 5, [3]),
        (["p", "n", None], 5, [3, 4]),
        (["p", "n", "x"], 5, [3, 4]),  # two more "p" would still make a majority
        (["p", "n", "x", "y"], 5, []),
    ],
)
def test_next_vote_indices(labels: list[str | None], total: int, expected: list[int]) -> None:
    votes = [_vote(i, label) for i, label in enumerate(labels)]
    assert next_vote_indices(votes, total, total // 2 + 1) == expected


def test_resolve_uses_only_the_majority_votes_confidence() -> None:
    votes = [_vote(0, "p", 0.99), _vote(1, "n", 0.10), _vote(2, "p", 0.93)]
    resolution = model_majority(votes, majority=2, threshold=0.92)
    assert (resolution.label, resolution.status, resolution.agreeing) == ("p", "auto", 2)
    assert resolution.confidence == pytest.approx(0.96)


def test_config_rejects_nonsense_and_hides_the_key() -> None:
    config = LLMLabelerConfig(api_key=KEY, model=MODEL, prompt_version="v1")
    assert KEY not in repr(config) and config.majority == 2 and config.price is None
    with pytest.raises(ValueError, match="distinct"):
        LLMLabelerConfig(api_key=KEY, model=MODEL, prompt_version="v1", labels=("positive", "positive"))
    with pytest.raises(ValueError, match="api_key is empty"):
        LLMLabelerConfig(api_key=" ", model=MODEL, prompt_version="v1")
    with pytest.raises(ValueError, match="temperature"):
        LLMLabelerConfig(api_key=KEY, model=MODEL, prompt_version="v1", temperature=1.0)  # type: ignore[call-arg]
