"""The model in the loop: the review queue follows its uncertainty, its votes never settle a label alone,
and a planted label error is flagged unless people confirmed the label."""

from __future__ import annotations

import random

import polars as pl

from gleaner.labeling import (
    AUDIT,
    HUMAN_SCHEMA,
    LabelPolicy,
    RecordView,
    in_audit,
    label_partition,
    review_frame,
    review_queue,
)
from gleaner.labeling.active import MODEL_ANNOTATOR, model_pass
from gleaner.labeling.label_studio import build_import_tasks

GOOD = ["great", "lovely", "excellent", "perfect", "sturdy", "happy", "recommend"]
BAD = ["broken", "awful", "refund", "flimsy", "useless", "returned", "disappointed"]
FILLER = ["kettle", "the", "it", "arrived", "box", "week", "and", "with", "my", "was"]
POLICY = LabelPolicy(model_in_loop=True)


def _text(rng: random.Random, good: int, bad: int) -> str:
    words = rng.sample(GOOD, good) + rng.sample(BAD, bad) + rng.sample(FILLER, 4)
    rng.shuffle(words)
    return " ".join(words)


def _corpus(seed: int = 3) -> tuple[list[RecordView], list[dict]]:
    """60 records the LLM labelled with confidence (30 each way) and 6 pending ones, from clear to mixed."""
    rng = random.Random(seed)
    views, llm = [], []
    for n in range(60):
        label = "positive" if n % 2 else "negative"
        text = _text(rng, 3, 0) if label == "positive" else _text(rng, 0, 3)
        views.append(RecordView(f"a{n:02d}", text, None))
        llm += [_vote(f"a{n:02d}", label, i) for i in range(2)]
    for n, (good, bad) in enumerate([(3, 0), (0, 3), (2, 1), (1, 2), (2, 2), (3, 1)]):
        views.append(RecordView(f"p{n}", _text(rng, good, bad), None))
    return views, llm


def _vote(record_id: str, label: str, index: int) -> dict:
    return {"record_id": record_id, "annotator": f"llm:m:vote{index}", "annotator_kind": "llm", "label": label,
            "confidence": 0.99}  # fmt: skip


def _records(views: list[RecordView]) -> pl.DataFrame:
    return pl.DataFrame({"record_id": [v.record_id for v in views], "text": [v.text for v in views]})


def test_the_review_queue_follows_the_models_uncertainty() -> None:
    views, llm = _corpus()
    result = label_partition(views, {}, llm, None, POLICY)
    assert result.model is not None and result.model.label_issues == []
    queue = review_queue(result.frame, _records(views))
    uncertainty = result.model.priority
    assert [row["record_id"] for row in queue] == sorted(uncertainty, key=lambda r: (-uncertainty[r], r))
    assert [row["priority"] for row in queue] == sorted(uncertainty.values(), reverse=True)
    assert queue[0]["record_id"] in {"p2", "p3", "p4"} and queue[-1]["record_id"] in {"p0", "p1"}  # mixed first
    tasks = build_import_tasks(queue, model_version="v")
    assert [t["data"]["record_id"] for t in tasks] == [row["record_id"] for row in queue]
    assert tasks[0]["data"]["priority"] >= tasks[-1]["data"]["priority"]
    # An explicit priority wins; records it does not rank follow by record_id.
    explicit = review_queue(result.frame, _records(views), priority={"p5": 1.0})
    assert [row["record_id"] for row in explicit] == ["p5", "p0", "p1", "p2", "p3", "p4"]


def test_model_votes_are_a_source_but_never_settle_a_label() -> None:
    views, llm = _corpus()
    result = label_partition(views, {}, llm, None, POLICY)
    model_rows = result.frame.filter(pl.col("annotator") == MODEL_ANNOTATOR)
    assert model_rows.height == len(views) and set(model_rows["annotator_kind"]) == {"model"}
    pending = [r for r in result.resolved if r["record_id"].startswith("p")]
    assert {r["status"] for r in pending} == {"needs_review"}  # the model voted on each, and settled none
    assert MODEL_ANNOTATOR in repr(result.agreement()["cohen"])  # in the agreement tables
    again = label_partition(views, {}, llm, None, POLICY)  # fixed random_state: the same numbers
    assert again.frame.equals(result.frame)


def test_a_planted_label_error_is_flagged_unless_people_confirmed_it() -> None:
    views, llm = _corpus()
    planted = "a01"  # an unmistakably positive text, auto-labelled negative by a confident LLM
    views[1] = RecordView(planted, "great lovely excellent perfect kettle, happy, would recommend", None)
    llm = [row | {"label": "negative"} if row["record_id"] == planted else row for row in llm]
    result = label_partition(views, {}, llm, None, POLICY)
    assert result.model is not None and planted in result.model.label_issues
    [row] = [r for r in result.resolved if r["record_id"] == planted]
    assert (row["status"], row["basis"], row["label"], row["guess"]) == (
        "needs_review",
        "label_issue",
        None,
        "negative",
    )
    assert result.model.metadata()["label_issues"] == len(result.model.label_issues)

    humans = pl.DataFrame([(planted, "ann", "1", "t", "negative", 12.0)], schema=HUMAN_SCHEMA, orient="row")
    confirmed = label_partition(views, {}, llm, humans, POLICY)
    assert planted not in confirmed.model.label_issues
    [row] = [r for r in confirmed.resolved if r["record_id"] == planted]
    assert (row["status"], row["label"]) == ("human", "negative")


def test_too_few_labels_means_no_model_and_a_note() -> None:
    views = [RecordView(f"r{n}", "great kettle", None) for n in range(8)]
    labelled = {f"r{n}": ("positive" if n % 2 else "negative", "auto") for n in range(6)}
    skipped = model_pass(views, labelled)
    assert skipped.votes == [] and skipped.priority == {} and skipped.note.startswith("no model: 6 labelled")


def test_above_the_sgd_threshold_the_model_is_still_seeded_and_still_ranks_mixed_reviews_first(monkeypatch) -> None:
    import gleaner.labeling.active as active

    views, llm = _corpus()
    labelled = {row["record_id"]: (row["label"], "auto") for row in llm}
    monkeypatch.setattr(active, "SGD_ABOVE", 10)  # 60 labelled records: the stochastic-gradient fit
    assert type(active._classifier(len(labelled))).__name__ == "SGDClassifier"
    assert type(active._vectorizer(len(labelled))).__name__ == "WordNgramTfidf"  # word n-grams alone
    assert type(active._vectorizer(10)).__name__ == "FeatureUnion"  # words and characters on little data
    first, again = model_pass(views, labelled), model_pass(views, labelled)
    assert first.votes == again.votes and first.priority == again.priority  # same inputs, same probabilities
    assert len(first.votes) == len(views)
    mixed, clear = ("p2", "p3", "p4"), ("p0", "p1")
    assert min(first.priority[r] for r in mixed) > max(first.priority[r] for r in clear)


def test_the_audit_slice_goes_to_review_first_and_is_marked() -> None:
    """Records the machines settled, chosen by a hash of record_id, go to review all the same, ahead of the
    most uncertain ones, so calibration gets an unbiased sample."""
    views, llm = _corpus()
    fraction = 0.1
    audited = sorted(v.record_id for v in views if in_audit(v.record_id, fraction))
    assert audited and any(r.startswith("a") for r in audited)  # this corpus has settled records in the slice
    result = label_partition(views, {}, llm, None, LabelPolicy(model_in_loop=True, audit_fraction=fraction))
    by_id = {r["record_id"]: r for r in result.resolved}
    for record in audited:
        if record.startswith("a"):  # settled by the LLM: sent to review as an audit record, the label a guess
            assert (by_id[record]["status"], by_id[record]["basis"], by_id[record]["label"]) == (
                "needs_review",
                AUDIT,
                None,
            )
            assert by_id[record]["guess"] is not None
    assert all(r["basis"] != AUDIT for r in result.resolved if r["record_id"] not in audited)

    queue = review_queue(result.frame, _records(views), audit_fraction=fraction)
    flags = [row["audit"] for row in queue]
    assert flags == sorted(flags, reverse=True) and sum(flags) == len(audited)  # the slice leads
    assert {row["record_id"] for row in queue if row["audit"]} == set(audited)
    assert review_frame(queue)["audit"].to_list() == flags
    tasks = build_import_tasks(queue, model_version="v")
    assert [t["data"].get("audit", False) for t in tasks] == flags
    # Without the slice nothing changes: the queue is the model's order.
    plain = label_partition(views, {}, llm, None, POLICY)
    assert not any(r["basis"] == AUDIT for r in plain.resolved)


def test_the_fits_on_threads_are_scikit_learns_cross_validation_to_the_bit(monkeypatch) -> None:
    """`_fits` runs the folds and the final model side by side; its probabilities must be those of
    `cross_val_predict` and a separate fit, for both classifiers (lbfgs on little data, SGD above)."""
    import numpy as np
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    import gleaner.labeling.active as active

    rng = random.Random(9)
    texts = [_text(rng, *rng.choice([(3, 0), (0, 3), (2, 1), (1, 2), (1, 1)])) for _ in range(90)]
    y = np.array([rng.randrange(3) for _ in texts])  # three classes, some labels noisy: fits differ per fold
    for sgd_above in (active.SGD_ABOVE, 10):
        monkeypatch.setattr(active, "SGD_ABOVE", sgd_above)
        features = active._vectorizer(len(y)).fit_transform(texts)
        folds = StratifiedKFold(n_splits=active.FOLDS, shuffle=True, random_state=active.SEED)
        expected = cross_val_predict(active._classifier(len(y)), features, y, cv=folds, method="predict_proba")
        out_of_fold, model = active._fits(features, y)
        assert np.array_equal(out_of_fold, expected)
        alone = active._classifier(len(y)).fit(features, y)
        assert np.array_equal(model.predict_proba(features), alone.predict_proba(features))
