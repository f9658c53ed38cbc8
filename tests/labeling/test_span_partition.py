"""Span labels for a partition: every vote a row, one resolution per record (agreeing machines auto,
disagreeing ones to review with their spans as the guess, people first), the review queue with
pre-annotations and human span labels read from Label Studio exports."""

import polars as pl
import pytest

from gleaner.labeling import (
    SPAN_HUMAN_SCHEMA,
    RecordView,
    SpanLabelPolicy,
    label_span_partition,
    span_human_labels,
    span_review_queue,
)
from gleaner.labeling.label_studio import build_span_tasks
from gleaner.labeling.spans import span_at, spans_from_json, spans_to_json

LABELS = ("BRAND", "PRODUCT_TYPE", "MODEL")
TITLE = "Vortex Blender 500"
BRAND, TYPE, MODEL = (
    span_at(TITLE, 0, 6, "BRAND"),
    span_at(TITLE, 7, 14, "PRODUCT_TYPE"),
    span_at(TITLE, 15, 18, "MODEL"),
)
WIDE_BRAND = span_at(TITLE, 0, 14, "BRAND")


def _fn(*spans):
    return lambda view: list(spans)


def _llm(record_id: str, index: int, spans, conditional: bool = False, reason: str = "") -> dict:
    return {
        "record_id": record_id,
        "annotator": f"llm:m:vote{index}",
        "annotator_kind": "llm",
        "spans_json": None if spans is None else spans_to_json(spans),
        "confidence": None if spans is None else 0.9,
        "reason": reason,
        "conditional": conditional,
    }


def _humans(*rows: tuple[str, str, list]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"record_id": r, "annotator": a, "annotation_id": a, "updated_at": "", "spans_json": spans_to_json(s)}
            for r, a, s in rows
        ],
        schema=SPAN_HUMAN_SCHEMA,
        orient="row",
    )


def _label(functions, llm_rows=(), humans=None, policy=None, ids=("r1",)):
    views = [RecordView(i, TITLE, None) for i in ids]
    return label_span_partition(views, functions, list(llm_rows), humans, policy or SpanLabelPolicy(), LABELS)


def test_agreeing_sources_label_the_record_automatically():
    labels = _label({"a": _fn(BRAND, TYPE), "b": _fn(BRAND, TYPE)}, [_llm("r1", 0, [BRAND, TYPE])])
    (resolved,) = labels.resolved
    assert (resolved["status"], resolved["confidence"], resolved["basis"]) == ("auto", 1.0, "machine agreement")
    assert spans_from_json(resolved["spans_json"]) == [BRAND, TYPE]
    assert labels.frame.height == 4 and labels.frame["annotator_kind"].to_list() == ["lf", "lf", "llm", "resolved"]
    assert labels.span_counts == {"BRAND": 1, "PRODUCT_TYPE": 1}


def test_a_span_stays_when_most_sources_propose_it_and_overlaps_resolve_longest_first():
    # BRAND+TYPE: 2 of 3 votes; MODEL: 1 of 3 (dropped); WIDE_BRAND: 2 of 3 but overlaps both, and is longest.
    votes = {"a": _fn(BRAND, TYPE, MODEL), "b": _fn(BRAND, TYPE, WIDE_BRAND), "c": _fn(WIDE_BRAND)}
    resolved = _label(votes, policy=SpanLabelPolicy(confidence_threshold=0.0)).resolved[0]
    assert spans_from_json(resolved["spans_json"]) == [WIDE_BRAND]


def test_disagreeing_sources_go_to_review_with_every_machine_span_as_guess():
    # Pairwise F1: a~b 2*1/(2+1) = 0.667, a~c 2*1/(2+1) = 0.667, b~c 2*1/(1+1) = 1.0: mean 0.7778 < 0.8.
    labels = _label({"a": _fn(BRAND, TYPE), "b": _fn(BRAND), "c": _fn(BRAND)})
    (resolved,) = labels.resolved
    assert resolved["status"] == "needs_review" and resolved["spans_json"] is None
    assert resolved["confidence"] == pytest.approx(0.7778)
    assert resolved["basis"] == "machine sources disagree (mean span F1 0.78 < 0.8)"
    assert spans_from_json(resolved["guess"]) == [BRAND, TYPE]  # found by one source: still pre-annotated


def test_one_source_or_none_is_not_agreement():
    assert _label({"a": _fn(BRAND)}).resolved[0]["basis"] == "too few machine votes (1 of 2)"
    failed = _label({}, [_llm("r1", 0, None, reason="invalid_label: x")])
    assert failed.resolved[0]["basis"] == "no annotation source voted" and failed.resolved[0]["guess"] is None
    assert failed.votes[0]["reason"] == "invalid_label: x"  # the failed vote is kept, with its reason


def test_two_sources_that_both_find_nothing_agree():
    resolved = _label({"a": _fn(), "b": _fn()}).resolved[0]
    assert (resolved["status"], resolved["spans_json"], resolved["confidence"]) == ("auto", "[]", 1.0)


def test_people_win_and_a_tie_between_people_goes_back_to_review():
    machines = {"a": _fn(BRAND), "b": _fn(BRAND)}
    one = _label(machines, humans=_humans(("r1", "human:1", [BRAND, TYPE]))).resolved[0]
    assert (one["status"], spans_from_json(one["spans_json"])) == ("human", [BRAND, TYPE])
    tie = _label(machines, humans=_humans(("r1", "human:1", [BRAND, TYPE]), ("r1", "human:2", [BRAND]))).resolved[0]
    assert (tie["status"], tie["basis"], tie["confidence"]) == ("needs_review", "humans disagree (2 annotations)", 0.5)
    assert spans_from_json(tie["guess"]) == [BRAND]  # what both people drew


def test_agreement_per_source_pair_leaves_out_conditional_and_failed_votes():
    llm = [_llm("r1", 0, [BRAND]), _llm("r1", 1, None), _llm("r1", 2, [BRAND], conditional=True)]
    labels = _label({"a": _fn(BRAND, TYPE)}, llm)
    assert [(r["pair"], r["span_f1"], r["n_tokens"]) for r in labels.agreement] == [("a ~ llm:m:vote0", 0.6667, 3)]


def test_output_is_deterministic_whatever_the_order():
    functions = {"a": _fn(BRAND), "b": _fn(BRAND, TYPE)}
    first = _label(functions, ids=("r2", "r1"))
    second = _label(dict(reversed(functions.items())), ids=("r1", "r2"))
    assert first.frame.equals(second.frame) and first.resolved == second.resolved


def test_review_queue_carries_the_machine_spans_as_label_studio_pre_annotations():
    labels = _label({"a": _fn(BRAND, TYPE), "b": _fn(BRAND)}, ids=("r1", "r2"))
    records = pl.DataFrame({"record_id": ["r1", "r2"], "title": [TITLE, TITLE]})
    queue = span_review_queue(labels.frame, records, "title")
    assert [(q["record_id"], q["guess"]) for q in queue] == [("r1", [BRAND, TYPE]), ("r2", [BRAND, TYPE])]
    task = build_span_tasks(queue, "rules")[0]
    assert task["data"] == {"record_id": "r1", "text": TITLE, "priority": queue[0]["priority"]}
    assert task["predictions"][0]["result"][0]["value"] == {"start": 0, "end": 6, "text": "Vortex", "labels": ["BRAND"]}


def _export(record_id: str, annotator: int, spans: list[tuple[int, int, str]]) -> dict:
    result = [
        {
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": s, "end": e, "text": TITLE[s:e], "labels": [lab]},
        }  # fmt: skip
        for s, e, lab in spans
    ]
    annotation = {"id": annotator, "completed_by": annotator, "updated_at": "2026-12-01", "result": result}
    return {"data": {"record_id": record_id, "text": TITLE}, "annotations": [annotation]}


def test_human_span_labels_come_from_label_studio_exports():
    tasks = [
        _export("r1", 7, [(0, 6, "BRAND")]),
        _export("r2", 7, [(0, 6, "MAKER")]),
        _export("r3", 7, [(0, 6, "BRAND")]),
    ]
    humans, problems = span_human_labels([tasks], {"r1", "r2"}, LABELS)
    assert humans.to_dicts() == [
        {
            "record_id": "r1",
            "annotator": "human:7",
            "annotation_id": "7",
            "updated_at": "2026-12-01",
            "spans_json": spans_to_json([BRAND]),
            "lead_time": None,
        }  # fmt: skip
    ]
    assert [p["record_id"] for p in problems] == ["r2"] and problems[0]["reason"].startswith("invalid_label")
    resolved = _label({}, humans=humans).resolved[0]
    assert (resolved["status"], resolved["spans_json"]) == ("human", spans_to_json([BRAND]))
