"""Benchmark: what an LLM label costs, the seed recipe against ours, on the demo's reviews.

The demo's reviews (`gleaner.demo_site`, with the sentiment each was written with as gold) are labelled
through the real `anthropic` SDK against the local Messages-API stand-in (`tests/fakes/anthropic_standin.py`),
which answers each request from the gold label, wrong with probability `--error-rate` (a wrong answer picks
another label at random), with a confidence drawn from U(0.90, 0.99) when right and U(0.75, 0.95) when wrong,
and counts tokens as the API does (the tools and system prompt as the prefix; prompt-cache writes and reads
once the prefix reaches `--min-cache-tokens`, 4,096 for Claude Haiku 4.5).

* seed recipe (the schema-first article's): three calls per record, no prompt cache, every record; the
  label is the majority of the three (a three-way split publishes nothing);
* ours: the dataset's labeling functions and rules, the LLM only on the records they leave open
  (`llm.scope: unsettled`), votes that stop at a majority, the prompt cached, and the partition step as
  the labels asset runs it (the model in the loop included; no human labels on either side).

Cost is Claude Haiku 4.5 list price ($1 / $5 per million input / output tokens, cache reads at a tenth),
per labelled record; accuracy is the published labels' against gold.

    .venv/bin/python benchmarks/llm_cost.py [--error-rate 0.1] [--seed 7] [--min-cache-tokens 4096]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fakes.anthropic_standin import AnthropicStandIn, ok  # noqa: E402

from gleaner.datasets import DEFAULT_DATASETS_DIR, classification_functions, load_dataset, record_view  # noqa: E402
from gleaner.demo_site import build_site  # noqa: E402
from gleaner.labeling import apply_functions, label_partition, records_for_llm, rules_settled, scrub  # noqa: E402
from gleaner.labeling.llm import (  # noqa: E402  # noqa: E402
    LLMLabeler,
    LLMLabelerConfig,
    ModelPrice,
    ParquetLabelCache,
    per_labeled_record,
    vote_annotator,
)

KEY = "sk-ant-benchmark-0000000000000000"
MODEL = "claude-haiku-4-5"
PRICE = ModelPrice(input_per_mtok=1.0, output_per_mtok=5.0)


def demo_records() -> list[dict]:
    """The demo's reviews as extraction and dedup would keep them, with their gold sentiment."""
    return [{**r, "gold": r["truth"]} for r in build_site().deduped_records()]


class GoldAnswers:
    """The stand-in's answers: gold, wrong with probability `error_rate`; thread-safe and seeded."""

    def __init__(self, records: list[dict], labels: tuple[str, ...], error_rate: float, seed: int) -> None:
        self.gold = {scrub(r["text"]): r["gold"] for r in records}
        self.labels, self.error_rate = labels, error_rate
        self.rng, self.lock = random.Random(seed), threading.Lock()

    def __call__(self, text: str):
        with self.lock:
            gold = self.gold[text]
            if self.rng.random() < self.error_rate:
                return ok(self.rng.choice([x for x in self.labels if x != gold]), self.rng.uniform(0.75, 0.95))
            return ok(gold, self.rng.uniform(0.90, 0.99))


def _config(spec, base_url: str, **settings) -> LLMLabelerConfig:
    base = LLMLabelerConfig(
        api_key=KEY, base_url=base_url, model=MODEL, prompt_version="unset", prices={MODEL: PRICE}, max_concurrency=4
    )
    return spec.labeler_config(base).model_copy(update=settings)


def seed_recipe(spec, records: list[dict], base_url: str) -> dict:
    """Three uncached calls per record, majority of three."""
    import anthropic

    from gleaner.labeling.llm.protocol import judge_message, request_params

    config = _config(spec, base_url, prompt_caching=False)
    client = anthropic.Anthropic(api_key=KEY, base_url=base_url, max_retries=0)
    calls = tokens_in = tokens_out = 0
    published = {}
    for record in records:
        text = scrub(record["text"])
        answers = []
        for _ in range(3):
            answer = judge_message(config, client.messages.create(**request_params(config, text)), text)
            calls, tokens_in, tokens_out = calls + 1, tokens_in + answer.input_tokens, tokens_out + answer.output_tokens
            answers.append(answer.label)
        label, count = Counter(answers).most_common(1)[0]
        if label is not None and count >= 2:
            published[record["record_id"]] = label
    cost = (tokens_in * PRICE.input_per_mtok + tokens_out * PRICE.output_per_mtok) / 1e6
    return {"calls": calls, "input_tokens": tokens_in, "output_tokens": tokens_out, "cost_usd": cost,
            "published": published}  # fmt: skip


def ours(spec, records: list[dict], base_url: str, cache_dir: Path) -> dict:
    functions = classification_functions(spec)
    views = [record_view(spec, r) for r in records]
    rule_rows = apply_functions(views, functions)
    asked = records_for_llm(views, rules_settled(rule_rows, spec.label_policy()), spec.llm.scope)
    config = _config(spec, base_url)
    with LLMLabeler(config, ParquetLabelCache(cache_dir)) as labeler:
        results = labeler.label_many([(v.record_id, v.text) for v in asked])
        usage = labeler.usage
    rows = [
        {"record_id": r.record_id, "annotator": vote_annotator(r.model, v.index), "annotator_kind": "llm",
         "label": v.label if v.ok else None, "confidence": v.confidence if v.ok else None,
         "conditional": v.index >= config.majority}
        for r in results for v in r.votes
    ]  # fmt: skip
    result = label_partition(views, functions, rows, None, spec.label_policy(), rule_rows=rule_rows)
    published = {r["record_id"]: r["label"] for r in result.resolved if r["label"] is not None}
    return {"calls": usage.calls, "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cache_read_tokens": usage.cache_read_tokens, "cache_write_tokens": usage.cache_write_tokens,
            "cached_token_share": round(usage.cached_token_share, 4), "cost_usd": usage.estimated_cost_usd,
            "asked": len(asked), "published": published,
            "label_issues": len(result.model.label_issues) if result.model else 0}  # fmt: skip


def _summary(name: str, run: dict, gold: dict[str, str]) -> dict:
    published = run.pop("published")
    labeled = len(published)
    accuracy = sum(gold[r] == label for r, label in published.items()) / labeled if labeled else 0.0
    figures = per_labeled_record(run["calls"], run["cost_usd"], labeled)
    summary = {**run, "labeled": labeled, "accuracy": round(accuracy, 4), **figures}
    print(f"{name}: {json.dumps(summary)}")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--error-rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-cache-tokens", type=int, default=4096)
    args = parser.parse_args()

    spec = load_dataset(DEFAULT_DATASETS_DIR / "review_sentiment.yaml")
    records = demo_records()
    gold = {r["record_id"]: r["gold"] for r in records}
    print(f"{len(records)} demo records, gold {dict(Counter(gold.values()))}, error rate {args.error_rate}")
    with AnthropicStandIn(KEY, min_cache_tokens=args.min_cache_tokens) as api, tempfile.TemporaryDirectory() as tmp:
        api.answer_with(GoldAnswers(records, spec.label_names, args.error_rate, args.seed))
        seed = _summary("seed recipe", seed_recipe(spec, records, api.base_url), gold)
        api.answer_with(GoldAnswers(records, spec.label_names, args.error_rate, args.seed))
        mine = _summary("ours", ours(spec, records, api.base_url, Path(tmp) / "cache"), gold)
        prefix = len(json.dumps(api.message_requests()[-1].body["tools"])) // 4 + len(spec.labeler_config(
            LLMLabelerConfig(api_key=KEY, model=MODEL, prompt_version="x")).system_prompt) // 4  # fmt: skip
    ratio = mine["cost_per_1000_labeled_usd"] / seed["cost_per_1000_labeled_usd"]
    print(f"prompt prefix about {prefix} tokens (cached from {args.min_cache_tokens}); cost ratio {ratio:.3f}")
    print(
        json.dumps(
            {
                "records": len(records),
                "error_rate": args.error_rate,
                "cost_ratio": round(ratio, 4),
                "calls_per_labeled_record": mine["calls_per_labeled_record"],
                "calls_per_labeled_record_seed": seed["calls_per_labeled_record"],
                "cost_per_1000_labeled_usd": mine["cost_per_1000_labeled_usd"],
                "cost_per_1000_labeled_usd_seed": seed["cost_per_1000_labeled_usd"],
                "cached_token_share": mine["cached_token_share"],
                "labeled": mine["labeled"],
                "labeled_seed": seed["labeled"],
                "accuracy_ours": mine["accuracy"],
                "accuracy_seed": seed["accuracy"],
                "label_issues": mine["label_issues"],
                "prompt_prefix_tokens": prefix,
            }
        )
    )


if __name__ == "__main__":
    main()
