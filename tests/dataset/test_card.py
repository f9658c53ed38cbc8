"""The dataset card a version ships with: what a reader of training_data/vN/README.md learns from it."""

from gleaner.dataset.card import render_card
from gleaner.labeling import annotation_velocity

MANIFEST = {
    "name": "training_data_v3",
    "rows_per_split_and_class": {
        "train": {"negative": 20, "positive": 30},
        "validation": {"negative": 2, "positive": 3},
        "test": {"negative": 2, "positive": 3},
    },
    "class_distribution": {"negative": 24, "positive": 36},
    "input_partitions": {
        "source=acme/date=2026-11-20": {"deduped_records": "a" * 64, "labels": "b" * 64},
    },
    "agreement": [
        {"pair": "lf_lexicon ~ lf_rating", "kappa": 0.8285, "n_shared": 76},
        {"pair": "lf_keywords ~ lf_rating", "kappa": None, "n_shared": 16},
    ],
    "label_policy": {"kappa_pairs": [["lf_rating", "lf_lexicon"]], "kappa_threshold": 0.8},
    "dedup": {
        "canonical_records": 200,
        "exact_removed": 10,
        "near_removed": 30,
        "rescrapes_removed": 5,
        "global_pass_removed": 2,
    },
    "pending_review": 8,
    "oversampled_rows": 12,
    "code_version": "cf2d865b322502e5",
}


def test_the_card_says_what_went_in_how_it_splits_and_what_to_watch_for():
    card = render_card(MANIFEST)
    assert card.startswith("# training_data_v3\n")
    assert "- `source=acme/date=2026-11-20`: deduped_records `aaaaaaaaaaaa`, labels `bbbbbbbbbbbb`" in card
    assert "| train | 20 | 30 | 50 |" in card and "| test | 2 | 3 | 5 |" in card
    assert (
        '```mermaid\npie showData title training_data_v3 (60 rows)\n    "negative" : 24\n    "positive" : 36\n```'
        in card
    )
    assert "- lf_lexicon ~ lf_rating: 0.8285 (n=76, gated: >= 0.8)" in card
    assert "- lf_keywords ~ lf_rating: undefined (one label only on the shared records) (n=16)" in card
    assert "- exact duplicates removed: 10 (5.0%)" in card and "- near duplicates removed: 30 (15.0%)" in card
    assert "(same review on another day): 5" in card
    assert "8 records still waiting for human review are left out" in card
    assert "oversampling of train (12 repeated rows, marked `oversampled`)" in card
    assert card.rstrip().endswith("Code version `cf2d865b322502e5`.")


VELOCITY = annotation_velocity(
    [
        {"record_id": "r1", "annotator": "human:ana", "annotation_id": "1", "lead_time": 10.0},
        {"record_id": "r2", "annotator": "human:ana", "annotation_id": "2", "lead_time": 20.0},
        {"record_id": "r1", "annotator": "human:ben", "annotation_id": "3", "lead_time": 30.0},
        {"record_id": "r3", "annotator": "human:b|en", "annotation_id": "4", "lead_time": None},
    ]
)


def test_the_card_reports_annotation_velocity_against_the_reference():
    card = render_card({**MANIFEST, "annotation_velocity": VELOCITY})
    section = card.split("## Annotation velocity\n", 1)[1].split("\n## ", 1)[0]
    assert "against a reference of 240 records/hour" in section
    assert "| human:ana | 2 | 0.0083 | 240.0 | 100% |" in section  # 2 records in 30 s
    assert "| human:ben | 1 | 0.0083 | 120.0 | 50% |" in section
    assert "| human:b/en | 0 | 0.0 | n/a | n/a |" in section  # a pipe in a name cannot break the table
    assert "| all annotators | 2 | 0.0167 | 120.0 | 50% |" in section  # 2 records in 60 s of people's time
    assert "- Annotations without a lead time, left out of both records and hours: 1." in section
    assert card.index("## Agreement") < card.index("## Annotation velocity") < card.index("## Deduplication")


def test_the_card_says_when_velocity_is_unknown_and_older_manifests_have_no_section():
    assert "## Annotation velocity" not in render_card(MANIFEST)  # published before velocity was measured
    untimed = annotation_velocity([{"record_id": "r1", "annotator": "human:ana", "annotation_id": "1"}])
    card = render_card({**MANIFEST, "annotation_velocity": untimed})
    assert "- No annotation carries a lead time (1 without one): velocity unknown." in card
    assert "| all annotators | 0 | 0.0 | n/a | n/a |" in card
    nobody = render_card({**MANIFEST, "annotation_velocity": annotation_velocity([])})
    assert "## Annotation velocity\n\n- No human annotations yet.\n" in nobody


def test_span_cards_carry_the_same_velocity_section():
    spans = {
        **MANIFEST,
        "task": "spans",
        "rows_per_split": {"train": 3, "validation": 1, "test": 1},
        "span_counts_per_split_and_label": {"train": {"BRAND": 3}, "validation": {"BRAND": 1}, "test": {}},
        "span_distribution": {"BRAND": 4},
        "agreement": [],
        "annotation_velocity": VELOCITY,
    }
    assert "| all annotators | 2 | 0.0167 | 120.0 | 50% |" in render_card(spans)


def test_the_card_shows_label_quality_when_the_manifest_has_it():
    assert "## Label quality" not in render_card(MANIFEST)  # versions published before it stay as they were
    quality = {
        "fitted_on": "audit slice: 40 human-labelled audit records of 300",
        "human_labelled_records": 300,
        "label_issues": 7,
        "reliability_diagram": "reliability.png",
        "sources": {
            "llm": {"samples": 40, "method": "platt", "ece_raw": 0.1812, "ece_calibrated": 0.0234, "note": "x"},
            "lf": {"samples": 38, "method": "platt", "ece_raw": 0.05, "ece_calibrated": 0.041, "note": "y"},
        },
    }
    card = render_card({**MANIFEST, "label_quality": quality})
    assert "Confidence calibrated on audit slice: 40 human-labelled audit records of 300." in card
    assert "| llm | 40 | platt | 0.1812 | 0.0234 |" in card and "| lf | 38 | platt | 0.0500 | 0.0410 |" in card
    assert "sent back to review): 7" in card
    assert "![Reliability diagram" in card and "](reliability.png)" in card
