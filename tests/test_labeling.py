import pytest
from sklearn.metrics import cohen_kappa_score

from gleaner.labeling.agreement import fleiss, pairwise_cohen
from gleaner.labeling.analysis import lf_summary
from gleaner.labeling.functions import RecordView, apply_functions, keyword_rules, lexicon_vader, rating_rule
from gleaner.labeling.label_studio_export import build_import_tasks, labeling_config, parse_export
from gleaner.labeling.resolution import LabelPolicy, Vote, resolve


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
    rows = apply_functions([RecordView("a", "ok", 5), RecordView("b", "ok", 3)])
    assert len(rows) == 6 and {r["annotator"] for r in rows} == {"lf_rating", "lf_lexicon", "lf_keywords"}


def test_resolution_order_human_then_llm_then_rules():
    rules = [Vote("lf_rating", "lf", "positive"), Vote("lf_lexicon", "lf", "positive")]
    assert resolve(rules).status == "auto" and resolve(rules).basis == "rule consensus"
    assert resolve(rules, LabelPolicy(allow_rule_consensus=False)).status == "needs_review"
    human = resolve([*rules, Vote("human:1", "human", "negative")])
    assert (human.status, human.label) == ("human", "negative")
    llm = [Vote("llm:0", "llm", "negative", 0.97), Vote("llm:1", "llm", "negative", 0.95)]
    assert resolve([*rules, *llm]).label == "negative"
    unsure = [Vote("llm:0", "llm", "negative", 0.6), Vote("llm:1", "llm", "negative", 0.7)]
    assert resolve(unsure, LabelPolicy(allow_rule_consensus=False)).status == "needs_review"


def test_conflicting_rules_go_to_review_with_a_guess():
    outcome = resolve([Vote("lf_rating", "lf", "positive"), Vote("lf_lexicon", "lf", "negative")])
    assert outcome.status == "needs_review" and outcome.label is None and outcome.basis == "rules conflict"
    split_humans = resolve([Vote("human:1", "human", "positive"), Vote("human:2", "human", "negative")])
    assert split_humans.status == "needs_review" and split_humans.basis == "humans disagree"


def test_cohen_matches_scikit_learn_on_shared_items_only():
    a = {str(i): lab for i, lab in enumerate("ppnnppnpnn")}
    b = {str(i): lab for i, lab in enumerate("ppnpppnnnn")}
    b["extra"] = "p"
    [row] = pairwise_cohen({"a": a, "b": b})
    assert row["n_shared"] == 10
    assert row["kappa"] == pytest.approx(cohen_kappa_score(list("ppnnppnpnn"), list("ppnpppnnnn")), abs=1e-4)


def test_fleiss_worked_example():
    # Fleiss (1971)-style toy: perfect agreement on every item gives kappa 1.
    assert fleiss({"1": ["p", "p", "p"], "2": ["n", "n", "n"], "3": ["p", "p", "p"]}, raters=3) == 1.0
    assert fleiss({"1": ["p", "n"]}, raters=2) is None


def test_lf_summary_counts_coverage_conflicts_and_accuracy():
    votes = {"f": {"1": "p", "2": None, "3": "n"}, "g": {"1": "p", "2": "n", "3": "p"}}
    rows = {r["function"]: r for r in lf_summary(votes, gold={"1": "p", "3": "p"})}
    assert rows["f"]["coverage"] == pytest.approx(2 / 3, abs=1e-4)
    assert rows["f"]["conflicts"] == pytest.approx(1 / 3, abs=1e-4)
    assert rows["f"]["empirical_accuracy"] == 0.5 and rows["g"]["empirical_accuracy"] == 1.0


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
            "label": "positive",
        }
    ]
    assert [p["annotation_id"] for p in problems] == ["2", "3"]
    built = build_import_tasks(
        [{"record_id": "r2", "text": "x", "guess": "negative", "confidence": 0.5}], "m1"
    )
    assert built[0]["predictions"][0]["result"][0]["value"]["choices"] == ["negative"]
    assert '<Choice value="positive"/>' in labeling_config()
