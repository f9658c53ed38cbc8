"""Annotation velocity: records per annotator-hour from Label Studio's lead_time, and how hostile lead times read."""

from __future__ import annotations

import math
import random

import polars as pl
import pytest

from gleaner.labeling import HUMAN_SCHEMA, SPAN_HUMAN_SCHEMA, human_labels, span_human_labels
from gleaner.labeling.label_studio.export import lead_time_seconds
from gleaner.labeling.velocity import REFERENCE_RECORDS_PER_HOUR, annotation_velocity, velocity_rows


def _row(record: str, annotator: str, annotation: int, lead_time) -> dict:
    return {"record_id": record, "annotator": annotator, "annotation_id": str(annotation), "lead_time": lead_time}


def test_a_single_annotator_at_fifteen_seconds_a_record_is_the_reference_rate():
    rows = [_row(f"r{i}", "human:ana", i, 15.0) for i in range(8)]
    velocity = annotation_velocity(rows)
    assert velocity["records_per_hour"] == REFERENCE_RECORDS_PER_HOUR == 240
    assert velocity["records"] == velocity["annotations"] == 8 and velocity["hours"] == round(120 / 3600, 4)
    assert velocity["without_lead_time"] == 0
    [ana] = velocity["per_annotator"]
    assert ana == {
        "annotator": "human:ana",
        "records": 8,
        "annotations": 8,
        "hours": 0.0333,
        "records_per_hour": 240.0,
        "without_lead_time": 0,
    }


def test_per_annotator_and_overall_count_distinct_records_over_summed_hours():
    rows = [
        _row("r1", "human:ana", 1, 10.0),
        _row("r2", "human:ana", 2, 20.0),
        _row("r1", "human:ben", 3, 30.0),  # the same record twice: one record overall, two people's time
        _row("r3", "human:ben", 4, 60.0),
    ]
    velocity = annotation_velocity(rows)
    per = {row["annotator"]: row for row in velocity["per_annotator"]}
    assert per["human:ana"]["records_per_hour"] == 240.0  # 2 records in 30 s
    assert per["human:ben"]["records_per_hour"] == 80.0  # 2 records in 90 s
    assert velocity["records"] == 3 and velocity["annotations"] == 4
    assert velocity["records_per_hour"] == round(3 / (120 / 3600), 1) == 90.0
    assert [row["annotator"] for row in velocity["per_annotator"]] == ["human:ana", "human:ben"]


def test_annotations_without_a_lead_time_count_on_neither_side_and_are_counted_apart():
    rows = [
        _row("r1", "human:ana", 1, 36.0),
        _row("r2", "human:ana", 2, None),
        _row("r3", "human:ana", 3, 0.0),  # what API clients send: no person spent no time
        {"record_id": "r4", "annotator": "human:ana", "annotation_id": "4"},  # a table from before lead_time
        _row("r5", "human:ben", 5, None),
    ]
    velocity = annotation_velocity(rows)
    assert velocity["records"] == 1 and velocity["records_per_hour"] == 100.0  # 1 record in 36 s
    assert velocity["without_lead_time"] == 4
    per = {row["annotator"]: row for row in velocity["per_annotator"]}
    assert per["human:ana"]["without_lead_time"] == 3 and per["human:ana"]["records_per_hour"] == 100.0
    assert per["human:ben"] == {
        "annotator": "human:ben",
        "records": 0,
        "annotations": 0,
        "hours": 0.0,
        "records_per_hour": None,
        "without_lead_time": 1,
    }


def test_zero_time_and_no_rows_give_no_rate_not_a_division_by_zero():
    zero = annotation_velocity([_row("r1", "human:ana", 1, 0), _row("r2", "human:ana", 2, 0.0)])
    assert zero["records_per_hour"] is None and zero["without_lead_time"] == 2 and zero["hours"] == 0.0
    empty = annotation_velocity([])
    assert empty == {
        "reference_records_per_hour": 240,
        "records": 0,
        "annotations": 0,
        "hours": 0.0,
        "records_per_hour": None,
        "without_lead_time": 0,
        "per_annotator": [],
    }
    assert velocity_rows(empty) == [
        {
            "annotator": "all annotators",
            "records": 0,
            "hours": 0.0,
            "records_per_hour": "n/a",
            "vs_240_per_hour": "n/a",
            "without_lead_time": 0,
        }
    ]


def test_the_same_annotation_read_twice_counts_once_and_row_order_does_not_matter():
    rows = [_row(f"r{i}", f"human:{'ab'[i % 2]}", i, 0.1 + i / 7) for i in range(200)]
    shuffled = rows * 2
    random.Random(7).shuffle(shuffled)
    assert annotation_velocity(shuffled) == annotation_velocity(rows)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (12.5, 12.5),
        (7, 7.0),
        (0, 0.0),
        (None, None),
        (-3.0, None),
        ("12.5", None),
        (True, None),
        (math.nan, None),
        (math.inf, None),
        ({"seconds": 3}, None),
    ],
)
def test_lead_time_reads_numbers_and_treats_anything_else_as_unknown(value, seconds):
    assert lead_time_seconds(value) == seconds


def _task(record: str, lead_time, result: list) -> dict:
    annotation = {"id": 1, "completed_by": 1, "result": result, "updated_at": "2026-11-20T10:00:00Z"}
    if lead_time != "absent":
        annotation["lead_time"] = lead_time
    return {"id": 1, "data": {"record_id": record, "text": "Acme Kettle"}, "annotations": [annotation]}


@pytest.mark.parametrize("lead_time", [4.288, None, "absent", "slow", -1, float("nan")])
def test_hostile_lead_times_become_null_in_both_human_labels_tables(lead_time):
    choice = [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["positive"]}}]
    span = [
        {
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 0, "end": 4, "text": "Acme", "labels": ["BRAND"]},
        }
    ]
    humans, problems = human_labels([[_task("r1", lead_time, choice)]], {"r1"})
    spans, span_problems = span_human_labels([[_task("r1", lead_time, span)]], {"r1"}, ["BRAND"])
    assert problems == span_problems == []
    assert humans.schema == pl.Schema(HUMAN_SCHEMA) and spans.schema == pl.Schema(SPAN_HUMAN_SCHEMA)
    expected = 4.288 if lead_time == 4.288 else None
    assert humans["lead_time"].to_list() == spans["lead_time"].to_list() == [expected]
