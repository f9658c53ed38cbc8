"""The gate's label-set check and the card's label section, both generated from a dataset declaration."""

from gleaner.dataset import GatePolicy, check_label_set, check_span_f1, label_section
from gleaner.dataset.gate import check_kappa
from gleaner.datasets import load_datasets
from gleaner.labeling.spans import Span, pairwise_span_agreement

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


def test_span_agreement_rows_are_gated_by_token_kappa_and_span_f1():
    texts = {f"r{i}": "Acme Kettle" for i in range(10)}
    gold = [Span(0, 4, "BRAND", "Acme"), Span(5, 11, "PRODUCT_TYPE", "Kettle")]
    votes = {
        "human:a": dict.fromkeys(texts, gold),
        "lf_gazetteer": {i: gold if n < 9 else gold[:1] for n, i in enumerate(sorted(texts))},
    }
    rows = pairwise_span_agreement(texts, votes)
    policy = GatePolicy(kappa_pairs=(("lf_gazetteer", "human:a"),), kappa_threshold=0.8, kappa_min_shared=10)
    # By hand: 20 gold spans, 19 from the gazetteer, all 19 exact: F1 = 2*19 / (20+19) = 0.9744.
    # Tokens: 20; agreement on 19 (p_o = 0.95). Marginals: human B-BRAND 10, B-PRODUCT_TYPE 10; gazetteer
    # B-BRAND 10, B-PRODUCT_TYPE 9, O 1: p_e = (10*10 + 10*9) / 400 = 0.475; kappa = 0.475 / 0.525 = 0.9048.
    assert rows[0]["kappa"] == 0.9048
    assert check_kappa(rows, policy).passed
    assert check_span_f1(rows, policy, 0.8).passed
    failed = check_span_f1(rows, policy, 0.98)
    assert not failed.passed and failed.details == {
        "span_f1": {"human:a ~ lf_gazetteer": 0.9744},
        "failing": {"human:a ~ lf_gazetteer": 0.9744},
    }
    short = GatePolicy(kappa_pairs=policy.kappa_pairs, kappa_min_shared=11)
    assert check_span_f1(rows, short, 0.5).details["failing"] == {
        "human:a ~ lf_gazetteer": "fewer than 11 shared records"
    }
