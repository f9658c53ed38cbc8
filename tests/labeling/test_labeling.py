from dataclasses import replace

import pytest
from sklearn.metrics import cohen_kappa_score

from gleaner.dataset.gate import GatePolicy, check_kappa
from gleaner.labeling.agreement import pairwise_cohen
from gleaner.labeling.analysis import lf_summary
from gleaner.labeling.audit import AUDIT, in_audit
from gleaner.labeling.calibration import fit_calibrator
from gleaner.labeling.functions import RecordView, apply_functions
from gleaner.labeling.label_studio.export import build_import_tasks, labeling_config, parse_export
from gleaner.labeling.product_reviews import keyword_rules, lexicon_vader, rating_rule
from gleaner.labeling.registry import functions_for
from gleaner.labeling.resolution import LabelPolicy, SourceVote, resolve_record


def test_rating_rule_abstains_on_three():
    assert rating_rule(RecordView("a", "", 5)) == "positive"
    assert rating_rule(RecordView("a", "", 1.5)) == "negative"
    assert rating_rule(RecordView("a", "", 3)) is None


def test_text_labelers_read_the_text():
    assert lexicon_vader(RecordView("a", "Terrible. It broke and I hate it.", None)) == "negative"
    assert lexicon_vader(RecordView("a", "Wonderful, I love it, excellent quality.", None)) == "positive"
    assert keyword_rules(RecordView("a", "Asked for a refund.", None)) == "negative"
    assert keyword_rules(RecordView("a", "Highly recommend, but asked for a refund", None)) is None


def test_every_function_votes_or_abstains_for_every_record():
    rows = apply_functions([RecordView("a", "ok", 5), RecordView("b", "ok", 3)], functions_for("product_reviews"))
    assert len(rows) == 6 and {r["annotator"] for r in rows} == {"lf_rating", "lf_lexicon", "lf_keywords"}
    assert [r["label"] for r in rows if r["annotator"] == "lf_rating"] == ["positive", None]


def test_functions_are_registered_per_dataset():
    assert functions_for("product_reviews")["lf_rating"] is rating_rule
    with pytest.raises(KeyError, match="no labeling functions registered for dataset 'tweets'"):
        functions_for("tweets")


def test_resolution_order_human_then_llm_then_rules():
    rules = [SourceVote("lf_rating", "lf", "positive"), SourceVote("lf_lexicon", "lf", "positive")]
    assert resolve_record(rules).status == "auto" and resolve_record(rules).basis == "rule consensus"
    assert resolve_record(rules, LabelPolicy(allow_rule_consensus=False)).status == "needs_review"
    human = resolve_record([*rules, SourceVote("human:1", "human", "negative")])
    assert (human.status, human.label) == ("human", "negative")
    llm = [SourceVote("llm:0", "llm", "negative", 0.97), SourceVote("llm:1", "llm", "negative", 0.95)]
    assert resolve_record([*rules, *llm]).label == "negative"
    unsure = [SourceVote("llm:0", "llm", "negative", 0.6), SourceVote("llm:1", "llm", "negative", 0.7)]
    assert resolve_record(unsure, LabelPolicy(allow_rule_consensus=False)).status == "needs_review"
    assert resolve_record([*rules, *unsure]).basis == "rule consensus"


def test_llm_majority_is_the_labelers_rule_two_of_three_with_mean_confidence():
    # Two agreeing votes out of three (after a tie-breaker) are a majority; confidence is their mean.
    votes = [
        SourceVote("v0", "llm", "positive", 0.95),
        SourceVote("v1", "llm", "negative", 0.99),
        SourceVote("v2", "llm", "positive", 0.93),
    ]
    outcome = resolve_record(votes, LabelPolicy(allow_rule_consensus=False))
    assert (outcome.status, outcome.label, outcome.confidence) == ("auto", "positive", 0.94)
    assert resolve_record(votes, LabelPolicy(llm_confidence_threshold=0.95, allow_rule_consensus=False)).status == (
        "needs_review"
    )
    # One vote answered, two failed: a single vote is no majority, however confident.
    lone = [SourceVote("v0", "llm", "positive", 0.99), SourceVote("v1", "llm", None), SourceVote("v2", "llm", None)]
    outcome = resolve_record(lone, LabelPolicy(allow_rule_consensus=False))
    assert (outcome.status, outcome.guess) == ("needs_review", "positive")
    assert outcome.basis == "too few agreeing llm votes (1 of 2)"
    five = [SourceVote(f"v{i}", "llm", "positive", 0.99) for i in range(2)]
    assert resolve_record(five, LabelPolicy(llm_majority=3, allow_rule_consensus=False)).status == "needs_review"


def test_conflicting_rules_go_to_review_with_a_guess():
    outcome = resolve_record([SourceVote("lf_rating", "lf", "positive"), SourceVote("lf_lexicon", "lf", "negative")])
    assert outcome.status == "needs_review" and outcome.label is None and outcome.basis == "rules conflict"
    split_humans = resolve_record(
        [SourceVote("human:1", "human", "positive"), SourceVote("human:2", "human", "negative")]
    )
    assert split_humans.status == "needs_review" and split_humans.basis == "humans disagree"


def test_pending_records_carry_no_label_only_a_guess():
    outcome = resolve_record([SourceVote("v0", "llm", "positive", 0.5), SourceVote("v1", "llm", "positive", 0.6)])
    assert (outcome.status, outcome.label, outcome.guess) == ("needs_review", None, "positive")
    assert resolve_record([]).basis == "no annotation source voted"


def test_cohen_matches_scikit_learn_on_shared_items_only():
    a = {str(i): lab for i, lab in enumerate("ppnnppnpnn")}
    b = {str(i): lab for i, lab in enumerate("ppnpppnnnn")}
    b["extra"] = "p"
    [row] = pairwise_cohen({"a": a, "b": b})
    assert row["n_shared"] == 10
    assert row["kappa"] == pytest.approx(cohen_kappa_score(list("ppnnppnpnn"), list("ppnpppnnnn")), abs=1e-4)


def test_lf_summary_reproduces_snorkels_lfanalysis_docstring_example():
    # snorkel/labeling/analysis.py, LFAnalysis docstrings: rows are data points, columns LFs, -1 abstains.
    matrix = [[-1, 0, 0], [-1, -1, -1], [1, 0, -1], [-1, 0, -1], [0, 0, 0]]
    votes = {
        f"lf{j}": {str(i): (None if row[j] == -1 else str(row[j])) for i, row in enumerate(matrix)} for j in range(3)
    }
    rows = lf_summary(votes)
    assert [r["coverage"] for r in rows] == [0.4, 0.8, 0.4]
    assert [r["overlaps"] for r in rows] == [0.4, 0.6, 0.4]
    assert [r["conflicts"] for r in rows] == [0.2, 0.2, 0.0]
    assert [r["polarity"] for r in rows] == [["0", "1"], ["0"], ["0"]]
    # Snorkel's lf_empirical_accuracies, worked by hand for gold Y = [0, 0, 1, 0, 0]:
    # lf0 is right on rows 2 and 4, lf1 on rows 0, 3, 4 but wrong on row 2, lf2 right on rows 0 and 4.
    gold = dict(enumerate("00100"))
    rows = lf_summary(votes, gold={str(i): y for i, y in gold.items()})
    assert [r["empirical_accuracy"] for r in rows] == [1.0, 0.75, 1.0]
    assert [(r["correct"], r["incorrect"]) for r in rows] == [(2, 0), (3, 1), (2, 0)]


def test_lf_summary_measures_accuracy_only_where_gold_exists():
    votes = {"f": {"1": "p", "2": None, "3": "n"}, "g": {"1": "p", "2": "n", "3": "p"}}
    rows = {r["function"]: r for r in lf_summary(votes, gold={"1": "p", "3": "p"})}
    assert rows["f"]["coverage"] == pytest.approx(2 / 3, abs=1e-4)
    assert rows["f"]["conflicts"] == pytest.approx(1 / 3, abs=1e-4)
    assert rows["f"]["empirical_accuracy"] == 0.5 and rows["g"]["empirical_accuracy"] == 1.0
    assert lf_summary(votes)[0]["empirical_accuracy"] is None


def _pair(kappa, n_shared=76):
    return [
        {
            "pair": "lf_lexicon ~ lf_rating",
            "left": "lf_lexicon",
            "right": "lf_rating",
            "n_shared": n_shared,
            "kappa": kappa,
        }
    ]


def test_kappa_gate_fails_when_a_named_pair_falls_below_the_threshold():
    policy = GatePolicy(kappa_pairs=(("lf_rating", "lf_lexicon"),), kappa_threshold=0.8, kappa_min_shared=10)
    assert check_kappa(_pair(0.8285), policy).passed
    failed = check_kappa(_pair(0.79), policy)
    assert not failed.passed and failed.details["failing"] == {"lf_lexicon ~ lf_rating": 0.79}
    assert not check_kappa(_pair(0.95, n_shared=9), policy).passed
    undefined = check_kappa(_pair(None), policy)
    assert not undefined.passed and "undefined" in undefined.details["failing"]["lf_lexicon ~ lf_rating"]
    # Pairs the policy does not name never gate, however low.
    other = [dict(_pair(0.1)[0], left="human:a", right="lf_rating", pair="human:a ~ lf_rating")]
    assert check_kappa(_pair(0.9) + other, policy).passed


def test_label_studio_export_round_trip_and_problems():
    tasks = [
        {
            "data": {"record_id": "r1", "text": "t"},
            "annotations": [
                {
                    "id": 1,
                    "completed_by": {"id": 7, "email": "a@x"},
                    "result": [
                        {
                            "from_name": "sentiment",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["positive"]},
                        }
                    ],
                },
                {"id": 2, "completed_by": 8, "was_cancelled": True, "result": []},
                {
                    "id": 3,
                    "completed_by": 9,
                    "result": [{"from_name": "sentiment", "type": "choices", "value": {"choices": ["meh"]}}],
                },
            ],
        }
    ]
    votes, problems = parse_export(tasks)
    assert votes == [
        {
            "record_id": "r1",
            "annotator": "human:a@x",
            "annotation_id": "1",
            "updated_at": "",
            "lead_time": None,  # the export says nothing about the time spent
            "label": "positive",
        }
    ]
    assert [p["annotation_id"] for p in problems] == ["2", "3"]
    built = build_import_tasks([{"record_id": "r2", "text": "x", "guess": "negative", "confidence": 0.5}], "m1")
    assert built[0]["predictions"][0]["result"][0]["value"]["choices"] == ["negative"]
    assert '<Choice value="positive"/>' in labeling_config()


def _lf_summary_one_vote_at_a_time(lf_votes, gold=None):
    """The summary as first written (a set lookup per vote and function): the reference."""
    gold = gold or {}
    rows = []
    for name, votes in sorted(lf_votes.items()):
        items = list(votes)
        labelled = [i for i in items if votes[i] is not None]
        others = [v for o, v in lf_votes.items() if o != name]
        overlaps = [i for i in labelled if any(v.get(i) is not None for v in others)]
        conflicts = [i for i in labelled if any(v.get(i) not in (None, votes[i]) for v in others)]
        judged = [i for i in labelled if i in gold]
        correct = sum(votes[i] == gold[i] for i in judged)
        n = len(items) or 1
        rows.append({"function": name, "polarity": sorted({votes[i] for i in labelled}),
                     "coverage": round(len(labelled) / n, 4), "overlaps": round(len(overlaps) / n, 4),
                     "conflicts": round(len(conflicts) / n, 4), "correct": correct, "incorrect": len(judged) - correct,
                     "empirical_accuracy": round(correct / len(judged), 4) if judged else None})  # fmt: skip
    return rows


@pytest.mark.parametrize("seed", range(5))
def test_lf_summary_counted_in_columns_equals_the_summary_vote_by_vote(seed):
    import random

    rng = random.Random(seed)
    records = [f"r{i}" for i in range(rng.randint(0, 300))]
    labels = ["negative", "neutral", "positive"]
    functions = {f"lf_{k}": {r: rng.choice([None, None, *labels[: rng.randint(1, 3)]]) for r in records}
                 for k in range(rng.randint(1, 5))}  # fmt: skip
    functions["lf_silent"] = dict.fromkeys(records)  # abstains everywhere
    gold = {r: rng.choice(labels) for r in records if rng.random() < 0.3}
    for g in (None, gold):
        assert lf_summary(functions, g) == _lf_summary_one_vote_at_a_time(functions, g)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_records_with_the_same_ballot_resolve_as_each_one_alone(seed):
    """`_resolve` resolves each distinct confidence-free ballot once; the resolutions must be exactly
    `resolve_record`'s, record by record: rules only (most records), rules with people, LLM votes with
    confidences (never shared), no votes at all, under a calibrator and an audit slice."""
    import random

    from gleaner.labeling.partition import _resolve, human_gold

    rng = random.Random(seed)
    labels = [None, "negative", "neutral", "positive"]
    views, rows = [], []
    for n in range(900):
        record_id = f"r{n:04d}"
        views.append(RecordView(record_id, "text", None))
        if n % 50 == 0:
            continue  # no vote at all
        for rule in ("lf_a", "lf_b", "lf_c"):
            rows.append({"record_id": record_id, "annotator": rule, "annotator_kind": "lf",
                         "label": rng.choice(labels), "confidence": None})  # fmt: skip
        if rng.random() < 0.15:
            for vote in range(rng.choice([1, 2, 3])):
                confidence = rng.choice([0.6, 0.93, 0.97, 1.0])
                rows.append({"record_id": record_id, "annotator": f"llm:m:vote{vote}", "annotator_kind": "llm",
                             "label": rng.choice(labels[1:]), "confidence": confidence})  # fmt: skip
        if rng.random() < 0.1:
            rows.append({"record_id": record_id, "annotator": "human:ann", "annotator_kind": "human",
                         "label": rng.choice(labels[1:]), "confidence": None})  # fmt: skip
    rng.shuffle(rows)
    gold = human_gold(rows)
    for policy in (
        LabelPolicy(),
        LabelPolicy(audit_fraction=0.1, calibrator=fit_calibrator(rows, gold, 10)),
        LabelPolicy(allow_rule_consensus=False, min_agreeing_rules=3, llm_majority=1),
    ):
        by_record: dict[str, list] = {}
        for row in rows:
            by_record.setdefault(row["record_id"], []).append(
                SourceVote(row["annotator"], row["annotator_kind"], row["label"], row["confidence"])
            )
        expected = []
        for view in views:
            outcome = resolve_record(by_record.get(view.record_id, []), policy)
            if outcome.status == "auto" and in_audit(view.record_id, policy.audit_fraction):
                outcome = replace(outcome, label=None, status="needs_review", basis=AUDIT)
            expected.append((view.record_id, outcome.label, outcome.confidence, outcome.status, outcome.basis,
                             outcome.guess))  # fmt: skip
        got = [(r["record_id"], r["label"], r["confidence"], r["status"], r["basis"], r["guess"])
               for r in _resolve(views, rows, policy)]  # fmt: skip
        assert got == expected
        assert policy.calibrator is None or policy.calibrator.fitted("lf")


def test_a_partitions_agreement_is_source_agreement_over_its_vote_rows():
    """`PartitionLabels.agreement` reads the vote rows into columns (a row without `conditional` reads as
    unconditional) and counts them as the candidate does; the report is `source_agreement`'s."""
    import random

    import polars as pl

    from gleaner.labeling.agreement_by_source import source_agreement
    from gleaner.labeling.partition import PartitionLabels

    rng = random.Random(11)
    labels = [None, "negative", "neutral", "positive"]
    rows = []
    for n in range(300):
        for rule in ("lf_a", "lf_b", "lf_c"):
            rows.append({"record_id": f"r{n:03d}", "annotator": rule, "annotator_kind": "lf",
                         "label": rng.choice(labels), "confidence": None})  # fmt: skip
        if n % 3 == 0:  # an LLM vote, some of them conditional (asked only where the rules disagreed)
            row = {"record_id": f"r{n:03d}", "annotator": "llm:m", "annotator_kind": "llm",
                   "label": rng.choice(labels[1:]), "confidence": 0.9}  # fmt: skip
            rows.append(row | ({"conditional": True} if n % 2 else {}))
        if n % 7 == 0:  # a person, twice: the later label counts
            for _ in range(2):
                rows.append({"record_id": f"r{n:03d}", "annotator": "human:ann", "annotator_kind": "human",
                             "label": rng.choice(labels[1:]), "confidence": None})  # fmt: skip
    rng.shuffle(rows)
    result = PartitionLabels(pl.DataFrame(), rows, [])
    report = result.agreement()
    assert report == source_agreement(rows, min_shared=3)
    assert {"lf_a ~ llm:m", "human:ann ~ lf_a"} <= set(report["cohen"])
