"""The labels step's history: every partition's human labels with their records' machine votes, recomputed
from the step's inputs alone (never from a `labels` table), with LLM votes from the cache and no request."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path

import polars as pl
import pytest
from fakes.anthropic_standin import AnthropicStandIn, ok

from gleaner.labeling import History, RecordView, labelled_history
from gleaner.labeling.llm import LLMLabeler, LLMLabelerConfig, ParquetLabelCache, cached_results, label_vote_rows
from gleaner.storage import LocalStore
from gleaner.storage import warehouse as tables

KEY = "sk-ant-history-test-0123456789abcdef"
HUMANS, RECORDS = "ds/human_labels", "ds/deduped_records"


class Warehouse:
    """The `Tables` protocol over a real local warehouse folder (what `WarehouseResource` does on S3 too)."""

    def __init__(self, root: Path) -> None:
        self.store = LocalStore(root)

    def write(self, asset: str, rows: list[dict], source: str, date: str) -> None:
        frame = pl.DataFrame(rows).with_columns(pl.lit(source).alias("source"), pl.lit(date).alias("partition_date"))
        tables.write_frame(self.store, asset, frame, {"source": source, "date": date})

    def read_all(self, asset: str) -> pl.DataFrame | None:
        return tables.read_all(self.store, asset)

    def read_matching(self, asset: str, column: str, values: Collection[str]) -> pl.DataFrame | None:
        return tables.read_matching(self.store, asset, column, values)


def _human(record_id: str, label: str, annotator: str = "ann") -> dict:
    return {
        "record_id": record_id,
        "annotator": annotator,
        "annotation_id": record_id,
        "updated_at": "t",
        "label": label,
    }


def _view(row: dict) -> RecordView:
    return RecordView(row["record_id"], row["text"], row["rating"])


def _stars(view: RecordView) -> str | None:
    return None if view.rating is None else ("positive" if view.rating >= 4 else "negative")


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    w = Warehouse(tmp_path / "warehouse")
    w.write(RECORDS, [{"record_id": "a1", "text": "great kettle", "rating": 5.0},
                      {"record_id": "a2", "text": "broken lid", "rating": 1.0},
                      {"record_id": "a3", "text": "fine", "rating": 3.0}], "acme", "2026-11-20")  # fmt: skip
    w.write(RECORDS, [{"record_id": "b1", "text": "awful, refund", "rating": 2.0},
                      {"record_id": "b2", "text": "lovely", "rating": 4.0}], "globex", "2026-11-21")  # fmt: skip
    w.write(HUMANS, [_human("a1", "positive"), _human("a2", "positive"), _human("gone", "negative")], "acme",
            "2026-11-20")  # fmt: skip
    w.write(HUMANS, [_human("b1", "negative"), _human("b1", "negative", "bo")], "globex", "2026-11-21")
    return w


def test_every_partitions_human_labels_with_their_records_rule_votes(warehouse: Warehouse) -> None:
    history = labelled_history(warehouse, HUMANS, RECORDS, _view, {"stars": _stars}, exclude=["b2"])
    assert [v.record_id for v in history.views] == ["a1", "a2", "b1"]  # `gone` is in no deduped_records
    assert history.partitions == ("source=acme/date=2026-11-20", "source=globex/date=2026-11-21")
    assert history.metadata() == {
        "learned_from/human_labels": 4,
        "learned_from/records": 3,
        "learned_from/partitions": 2,
    }
    rules = {r["record_id"]: r["label"] for r in history.rows if r["annotator_kind"] == "lf"}
    assert rules == {"a1": "positive", "a2": "negative", "b1": "negative"}

    # The partition being labelled is left out (it has its own votes), and a `labels` table changes nothing.
    mine = labelled_history(warehouse, HUMANS, RECORDS, _view, {"stars": _stars}, exclude=["b1", "b2"])
    assert [v.record_id for v in mine.views] == ["a1", "a2"] and mine.human_labels == 2
    warehouse.write("ds/labels", [{"record_id": "a3", "annotator": "resolved", "label": "neutral"}], "acme", "x")
    assert labelled_history(warehouse, HUMANS, RECORDS, _view, {"stars": _stars}, exclude=["b2"]) == history
    assert labelled_history(Warehouse(warehouse.store.root / "empty"), HUMANS, RECORDS, _view, {}) == History()

    # Only partitions before the one being labelled (date, then source): a later one never changes its bytes.
    def before(date: str, source: str) -> list[str]:
        found = labelled_history(warehouse, HUMANS, RECORDS, _view, {}, before=(date, source))
        return [v.record_id for v in found.views]

    assert before("2026-11-21", "globex") == before("2026-11-21", "acme") == ["a1", "a2"]
    assert before("2026-11-20", "acme") == [] and before("2026-11-20", "zeta") == ["a1", "a2"]
    assert before("2026-11-22", "acme") == ["a1", "a2", "b1"]


@pytest.fixture
def api() -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn(KEY) as server:
        server.on("great kettle", ok("positive"), ok("positive"))
        server.on("broken lid", ok("negative"), ok("positive"), ok("negative"))  # a tie-breaker was asked
        yield server


def test_llm_votes_come_from_the_cache_alone_exactly_as_labelled(
    warehouse: Warehouse, api: AnthropicStandIn, tmp_path: Path
) -> None:
    config = LLMLabelerConfig(
        api_key=KEY, base_url=api.base_url, model="claude-haiku-4-5", prompt_version="v1",
        labels=("positive", "negative"), timeout_seconds=5.0,
    )  # fmt: skip
    cache_dir = tmp_path / "cache"
    asked = [("a1", "great kettle"), ("a2", "broken lid")]
    with LLMLabeler(config, ParquetLabelCache(cache_dir)) as labeler:
        labelled = label_vote_rows(labeler.label_many(asked), config.majority)
    sent, parts = len(api.message_requests()), sorted(cache_dir.iterdir())

    def cached_llm(views: list[RecordView]) -> list[dict]:
        results = cached_results(config, ParquetLabelCache(cache_dir), [(v.record_id, v.text) for v in views])
        return label_vote_rows(results, config.majority)

    history = labelled_history(warehouse, HUMANS, RECORDS, _view, {}, cached_llm)
    llm = [r for r in history.rows if r["annotator_kind"] == "llm"]
    assert llm == labelled  # the same votes, conditional tie-breaker included; b1 was never asked: none
    assert len(api.message_requests()) == sent  # no request
    assert sorted(cache_dir.iterdir()) == parts  # and nothing written
    other_prompt = config.model_copy(update={"prompt_version": "v2"})  # another question: nothing cached
    assert cached_results(other_prompt, ParquetLabelCache(cache_dir), asked) == []
