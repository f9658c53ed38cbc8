"""The gate's label-set check and the card's label section, both generated from a dataset declaration."""

from gleaner.dataset import check_label_set, label_section
from gleaner.datasets import load_datasets

DATASETS = load_datasets()


def test_label_set_check_finds_classification_rows_outside_the_set():
    spec = DATASETS["review_sentiment"]
    rows = [{"record_id": "a", "label": "neutral"}, {"record_id": "b", "label": "mixed"}, {"record_id": "c"}]
    verdict = check_label_set(rows, spec.label_names, spec.task)
    assert not verdict.passed and verdict.name == "label_set"
    assert verdict.details == {"rows_outside": 2, "examples": ["b: mixed", "c: None"]}
    assert check_label_set(rows[:1], spec.label_names, spec.task).passed


def test_label_set_check_reads_every_span_label():
    spec = DATASETS["product_entities"]
    good = {"record_id": "a", "spans": [{"start": 0, "end": 4, "label": "BRAND", "text": "Acme"}]}
    bad = {"record_id": "b", "spans": [{"start": 0, "end": 4, "label": "MAKER", "text": "Acme"}, *good["spans"]]}
    assert check_label_set([good, {"record_id": "c", "spans": []}], spec.label_names, spec.task).passed
    verdict = check_label_set([good, bad], spec.label_names, spec.task)
    assert not verdict.passed and verdict.details["examples"] == ["b: MAKER"]


def test_card_label_section_lists_the_task_and_each_guideline():
    spec = DATASETS["product_entities"]
    section = label_section(spec)
    assert section.startswith("## Labels\n\nTask: spans: named entities")
    assert "over the `title` field" in section
    headings = [line for line in section.splitlines() if line.startswith("### ")]
    assert headings == [f"### `{name}`" for name in spec.label_names]
    assert "- example: 8in" in section and "- not this label: 1.7L (a capacity)" in section
    assert "Task: classification: one label per record" in label_section(DATASETS["review_sentiment"])
