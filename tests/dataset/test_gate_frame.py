"""The gate gives a frame the verdicts it gives the same rows as dicts (`labeled_dataset` hands it the frame,
so a candidate's rows never become a dict each)."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel, Field

from gleaner.dataset.gate import GatePolicy, SpanGatePolicy, run_gate, run_span_gate


class Review(BaseModel):
    record_id: str
    text: str = Field(min_length=3)
    rating: float | None = Field(default=None, ge=1, le=5)


def _rows() -> list[dict]:
    texts = ["the kettle boils water fast and quietly every single morning", "broken lid", "ok", "fine product"]
    rows = []
    for n in range(40):
        rows.append({
            "record_id": f"r{n:02d}",
            "text": texts[n % 4] if n % 4 else f"{texts[0]} {n}",  # near duplicates of one text across splits
            "rating": [1.0, 5.0, 9.0, None][n % 4],  # 9.0 breaks the schema
            "label": ["positive", "negative", "neutral", "surprise"][n % 4] if n % 7 else "positive",
            "split": ["train", "validation", "test"][n % 3] if n < 39 else "train",
            "cluster_id": f"c{n % 10}",  # clusters straddle splits
            "content_hash": f"h{n % 4}",
            "oversampled": n % 13 == 0,
            "spans": [{"start": 0, "end": 3, "label": "PRODUCT" if n % 5 else "BRAND"}],
        })  # fmt: skip
    return rows


def _same(dicts, frame) -> None:
    assert [(v.name, v.passed, v.details) for v in dicts] == [(v.name, v.passed, v.details) for v in frame]


def test_classification_gate_on_a_frame_equals_the_gate_on_dicts() -> None:
    rows = _rows()
    policy = GatePolicy(record_model=Review, labels=("positive", "negative", "neutral"))
    agreement = [{"left": "lf_lexicon", "right": "lf_rating", "n_shared": 40, "kappa": 0.9}]
    verdicts = run_gate(rows, agreement, policy)
    assert not all(v.passed for v in verdicts)  # every check has something to find
    _same(verdicts, run_gate(pl.DataFrame(rows), agreement, policy))


def test_span_gate_on_a_frame_equals_the_gate_on_dicts() -> None:
    rows = _rows()
    policy = SpanGatePolicy(record_model=Review, labels=("PRODUCT",), input_field="text")
    verdicts = run_span_gate(rows, [], policy)
    assert not verdicts[1].passed  # BRAND is not declared
    _same(verdicts, run_span_gate(pl.DataFrame(rows), [], policy))


def test_split_leak_scan_on_a_frame_equals_the_scan_on_dicts() -> None:
    """Clusters and texts in one, two and three splits, and missing ones: the frame's group-by names the
    same leaks, in the same order, as the dicts' scan."""
    from gleaner.dataset.gate import check_no_split_leak

    splits = ["train", "validation", "test"]
    rows = [
        {
            "record_id": f"r{n:02d}",
            "text": f"review number {n} says {'good ' * (n % 5)}things about kettle model {n * 7}",
            "split": splits[n % 3] if n % 4 else "train",
            "cluster_id": None if n % 11 == 0 else f"c{n % 6}",  # some in two splits, some in three
            "content_hash": f"h{n // 2}",  # pairs: in one split or two
        }
        for n in range(48)
    ]
    on_dicts = check_no_split_leak(rows)
    on_frame = check_no_split_leak(pl.DataFrame(rows))
    assert on_dicts.details == on_frame.details and on_dicts.passed == on_frame.passed
    assert not on_frame.passed and on_frame.details["leaks"] > 5


def test_split_leak_check_knowing_earlier_sketches_gives_the_verdict_of_sketching_everything() -> None:
    """A later candidate (rows gone, rows added, a near duplicate planted across splits) checked with the
    sketches the first check left: the same leaks as checking from nothing, only the new texts sketched."""
    from gleaner.dataset.gate import check_no_split_leak, check_no_split_leak_knowing

    def row(n: int, text: str, split: str) -> dict:
        return {"record_id": f"r{n:02d}", "text": text, "split": split, "cluster_id": f"c{n}", "content_hash": f"h{n}"}

    texts = [" ".join(f"w{n}x{i}" for i in range(15)) for n in range(30)]
    first = pl.DataFrame([row(n, t, ["train", "validation", "test"][n % 3]) for n, t in enumerate(texts)])
    _, known, sketched = check_no_split_leak_knowing(first, None, None)
    assert sketched == 30 and known is not None
    assert check_no_split_leak(first).passed
    added = pl.DataFrame([row(90, texts[4] + " tail", "train"), row(91, "a text nobody wrote before", "train")])
    later = pl.concat([first.filter(pl.col("record_id") > "r02"), added])  # r04 is in validation
    verdict, again, sketched = check_no_split_leak_knowing(later, None, known)
    assert sketched == 2  # the two added texts; the others' sketches were known
    assert verdict == check_no_split_leak(later) == check_no_split_leak(later.to_dicts())
    assert verdict.details["leaks"] == 1
    assert verdict.details["examples"][0].startswith("near duplicates r90 (train) ~ r04 (validation), Jaccard 0.")
    _, remembered, sketched = check_no_split_leak_knowing(later, None, again)
    assert sketched == 0 and remembered.sketches.equals(again.sketches)


def test_balance_label_set_and_split_checks_on_a_frame_equal_the_dicts_with_missing_labels_and_splits() -> None:
    """A missing label (a class of its own, and outside the set), a split holding one class, one holding
    none: the frame's group-bys give what the dicts' loops give."""
    from gleaner.dataset.gate import check_class_balance, check_label_set, check_no_empty_split

    labels = [None] * 2 + ["positive"] * 4 + ["negative"] * 6 + ["positive"] * 3
    rows = [
        {"record_id": f"r{n:02d}", "label": label, "split": "train" if n < 12 else "validation"}
        for n, label in enumerate(labels)
    ]
    policy = GatePolicy(labels=("positive", "negative"))
    checks = [
        lambda r: check_class_balance(r, policy),
        lambda r: check_label_set(r, policy.labels),
        check_no_empty_split,
    ]
    verdicts = [check(rows) for check in checks]
    assert [v.passed for v in verdicts] == [False, False, False]
    assert verdicts[0].details["ratios"] == {"train": 3.0, "validation": float("inf")}
    _same(verdicts, [check(pl.DataFrame(rows)) for check in checks])
