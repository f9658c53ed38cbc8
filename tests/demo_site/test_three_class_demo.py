"""The demo is a three-class dataset: its reviews, labelled by the review_sentiment dataset's rules and the
bundled human annotations, pass the dataset's kappa gate and balance into splits that each hold every class.

Records are the demo's ground-truth reviews as extraction would give them (empty texts and broken ratings
fail there; a duplicate group keeps one review, as dedup would), with the record ids extraction gives.
"""

from collections import Counter

import pytest

from gleaner.dataset import SPLITS, check_label_set
from gleaner.dataset.balancing import balance_split
from gleaner.dataset.gate import check_class_balance, check_kappa, check_no_empty_split
from gleaner.dataset.splitting import SplitRatios, assign_splits
from gleaner.datasets import DEFAULT_DATASETS_DIR, classification_functions, load_dataset, record_view
from gleaner.demo_site import build_site
from gleaner.demo_site.annotations import demo_annotations
from gleaner.labeling import cohen_rows, human_labels, label_partition, source_agreement

SPEC = load_dataset(DEFAULT_DATASETS_DIR / "review_sentiment.yaml")


@pytest.fixture(scope="module")
def site():
    return build_site()


@pytest.fixture(scope="module")
def records(site) -> list[dict]:
    return site.deduped_records()


@pytest.fixture(scope="module")
def labels(site, records):
    humans, problems = human_labels([demo_annotations(site)], {r["record_id"] for r in records}, SPEC.label_names)
    assert [p["reason"] for p in problems] == ["annotation was cancelled (skipped by annotator)"]
    views = [record_view(SPEC, r) for r in records]
    return label_partition(
        views, classification_functions(SPEC), [], humans, SPEC.review.label_policy(SPEC.llm.majority)
    )


def test_the_demo_has_neutral_reviews_and_stars_that_part_ways_with_the_words(site):
    reviews = [r for r in site.reviews if r.text and 1 <= r.rating <= 5]
    assert len(reviews) < 200
    by_stars = Counter((r.rating, r.sentiment) for r in reviews if r.rating == 3 or r.sentiment == "neutral")
    three_stars = sum(n for (stars, _), n in by_stars.items() if stars == 3)
    assert by_stars[(3, "neutral")] >= 0.8 * three_stars  # mostly neutral
    assert by_stars[(3, "positive")] + by_stars[(3, "negative")] >= 2  # a few that are not
    assert by_stars[(2, "neutral")] + by_stars[(4, "neutral")] >= 2  # and neutral words under other stars


def test_bundled_annotations_come_from_two_people_who_mostly_agree_on_all_three_classes(site, records):
    humans, _ = human_labels([demo_annotations(site)], {r["record_id"] for r in records}, SPEC.label_names)
    assert set(humans["label"]) == {"positive", "negative", "neutral"}
    by_record = humans.group_by("record_id").agg("annotator", "label").filter(humans.n_unique("annotator") > 0)
    both = by_record.filter(by_record["annotator"].list.len() == 2)
    agree = sum(len(set(labels)) == 1 for labels in both["label"])
    assert len(both) >= 20 and 0.8 <= agree / len(both) < 1  # realistic: now and then they differ
    neutral_pairs = sum("neutral" in labels for labels in both["label"])
    assert neutral_pairs >= 10


def test_rating_and_lexicon_agree_enough_for_the_gate(labels):
    agreement = cohen_rows(source_agreement(labels.votes))
    verdict = check_kappa(agreement, SPEC.gate.gate_policy())
    assert verdict.passed, verdict.details
    (pair,) = [a for a in agreement if {a["left"], a["right"]} == {"lf_rating", "lf_lexicon"}]
    assert pair["n_shared"] >= 10 and pair["kappa"] >= 0.8


def test_neutral_is_a_real_class_settled_by_people_and_by_agreeing_rules(labels, records):
    resolved = {r["record_id"]: r for r in labels.resolved}
    neutral = [r for r in resolved.values() if r["label"] == "neutral"]
    assert len(neutral) >= 20
    assert {r["basis"] for r in neutral} >= {"human majority", "rule consensus"}
    rules_only = label_partition(
        [record_view(SPEC, r) for r in records], classification_functions(SPEC), [], None, SPEC.review.label_policy(2)
    )
    assert sum(r["label"] == "neutral" and r["basis"] == "rule consensus" for r in rules_only.resolved) >= 15
    truth = {r["record_id"]: r["truth"] for r in records}
    settled = [r for r in resolved.values() if r["label"] is not None]
    assert sum(truth[r["record_id"]] == r["label"] for r in settled) / len(settled) >= 0.9


def test_balanced_splits_each_hold_all_three_classes(labels):
    rows = [{"record_id": r["record_id"], "label": r["label"]} for r in labels.resolved if r["label"] is not None]
    ratios = SPEC.gate.split_ratios
    splits = assign_splits(
        {r["record_id"]: r["label"] for r in rows}, SplitRatios(ratios.train, ratios.validation, ratios.test)
    )
    balanced = []
    for split in SPLITS:
        in_split = [{**r, "split": splits[r["record_id"]]} for r in rows if splits[r["record_id"]] == split]
        balanced += balance_split(
            in_split, split, "label", "record_id", SPEC.gate.max_class_ratio, SPEC.gate.balance_strategy
        )
    for split in SPLITS:
        assert {r["label"] for r in balanced if r["split"] == split} == set(SPEC.label_names), split
    policy = SPEC.gate.gate_policy()
    for verdict in (
        check_class_balance(balanced, policy),
        check_no_empty_split(balanced),
        check_label_set(balanced, SPEC.label_names),
    ):
        assert verdict.passed, (verdict.name, verdict.details)
