"""The labels step of a partition: each rule runs once per record, the LLM is asked only what the scope
leaves open, and its votes are resolved with the rules'."""

from __future__ import annotations

from collections import Counter

from gleaner.labeling import LabelPolicy, RecordView, label_classification

VIEWS = [
    RecordView("r1", "great kettle", 5.0),  # both rules say positive: settled
    RecordView("r2", "awful kettle", 1.0),  # both negative: settled
    RecordView("r3", "great kettle", 1.0),  # the rules disagree: open
    RecordView("r4", "a kettle", None),  # neither votes: open
]


def _functions(calls: Counter):
    def by_rating(view: RecordView) -> str | None:
        calls[view.record_id] += 1
        return None if view.rating is None else "positive" if view.rating >= 4 else "negative"

    def by_word(view: RecordView) -> str | None:
        return "positive" if "great" in view.text and "awful" not in view.text else (
            "negative" if "awful" in view.text else None)  # fmt: skip

    return {"lf_rating": by_rating, "lf_word": by_word}


def test_rules_run_once_and_the_llm_is_asked_what_they_leave_open() -> None:
    calls, asked = Counter(), []

    def ask(records: list[RecordView]) -> tuple[list[dict], dict]:
        asked.extend(r.record_id for r in records)
        votes = [{"record_id": r.record_id, "annotator": f"llm_{n}", "annotator_kind": "llm", "label": "neutral",
                  "confidence": 0.99} for r in records for n in (1, 2)]  # fmt: skip
        return votes, {"llm_calls": len(records)}

    policy = LabelPolicy(min_agreeing_rules=2)
    result = label_classification(VIEWS, _functions(calls), policy, "unsettled", ask, humans=None)
    assert asked == ["r3", "r4"]
    assert calls == Counter({"r1": 1, "r2": 1, "r3": 1, "r4": 1})
    assert (result.llm_asked, result.llm_report) == (2, {"llm_calls": 2})
    labels = {r["record_id"]: (r["label"], r["basis"]) for r in result.labels.resolved}
    assert labels == {"r1": ("positive", "rule consensus"), "r2": ("negative", "rule consensus"),
                      "r3": ("neutral", "llm majority"), "r4": ("neutral", "llm majority")}  # fmt: skip


def test_scope_all_asks_about_every_record() -> None:
    asked: list[str] = []

    def ask(records: list[RecordView]) -> tuple[list[dict], dict]:
        asked.extend(r.record_id for r in records)
        return [], {}

    label_classification(VIEWS, _functions(Counter()), LabelPolicy(), "all", ask, humans=None)
    assert asked == ["r1", "r2", "r3", "r4"]


def test_the_partitions_lf_summary_counts_only_the_rules_votes() -> None:
    def ask(records: list[RecordView]) -> tuple[list[dict], dict]:  # LLM votes must not count as functions
        return [{"record_id": r.record_id, "annotator": "llm_1", "annotator_kind": "llm", "label": "positive",
                 "confidence": 0.99} for r in records], {}  # fmt: skip

    result = label_classification(VIEWS, _functions(Counter()), LabelPolicy(), "all", ask, humans=None)
    summary = {row["function"]: row for row in result.labels.lf_summary()}
    assert sorted(summary) == ["lf_rating", "lf_word"]
    assert (summary["lf_rating"]["coverage"], summary["lf_word"]["coverage"]) == (0.75, 0.75)
    assert summary["lf_rating"]["overlaps"] == 0.75  # r1, r2, r3: both rules voted
    assert summary["lf_word"]["conflicts"] == 0.25  # r3: great but one star
    assert summary["lf_rating"]["polarity"] == ["negative", "positive"]
