"""Agreement statistics on their published worked examples, and `gleaner agreement FILE` on every format."""

import json

import krippendorff
import numpy as np
import polars as pl
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

from dagster_project.cli import main
from gleaner.labeling.agreement import (
    agreement_report,
    cohen_kappa,
    cohen_kappa_counts,
    fleiss,
    fleiss_ratings,
    krippendorff_alpha,
    pairwise_cohen,
)
from gleaner.labeling.agreement_by_source import source_agreement
from gleaner.labeling.annotation_file import read_annotations

# Wikipedia, "Cohen's kappa", worked example: 50 proposals, two readers; yes/yes 20, yes/no 5, no/yes 10,
# no/no 15. p_o = 0.7, p_e = 0.5, kappa = 0.4.
CELLS = [("yes", "yes", 20), ("yes", "no", 5), ("no", "yes", 10), ("no", "no", 15)]
READER_A = [a for a, _, n in CELLS for _ in range(n)]
READER_B = [b for _, b, n in CELLS for _ in range(n)]

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters each, 5 categories; kappa = 0.210.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers, twelve
# units, missing values (None); nominal alpha = 0.743.
RELIABILITY = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def _reliability_votes() -> dict[str, dict[str, str]]:
    return {
        coder: {f"u{i + 1:02d}": str(v) for i, v in enumerate(values) if v is not None}
        for coder, values in RELIABILITY.items()
    }


def _reliability_rows() -> list[dict[str, str | None]]:
    return [
        {"item": f"u{i + 1:02d}", "annotator": coder, "label": None if v is None else str(v)}
        for coder, values in RELIABILITY.items()
        for i, v in enumerate(values)
    ]


# -- worked examples ---------------------------------------------------------------------------------


def test_cohen_kappa_wikipedia_example_is_0_4_and_equals_scikit_learn():
    assert cohen_kappa(READER_A, READER_B) == pytest.approx(0.4)
    assert cohen_kappa(READER_A, READER_B) == cohen_kappa_score(READER_A, READER_B)
    [row] = pairwise_cohen({"a": dict(enumerate(READER_A)), "b": dict(enumerate(READER_B))})
    assert (row["kappa"], row["observed_agreement"], row["n_shared"]) == (0.4, 0.7, 50)


@pytest.mark.parametrize("seed", range(6))
def test_cohen_kappa_is_scikit_learns_to_the_bit(seed):
    """`cohen_kappa` and `cohen_kappa_counts` repeat scikit-learn's arithmetic: the same float, not merely
    a close one, on random label sequences (two to five labels, skewed, tiny and large, a label only one
    side uses) and on their pair counts; None exactly where scikit-learn's is undefined (nan)."""
    import math
    import random
    import warnings
    from collections import Counter

    rng = random.Random(seed)
    for _ in range(60):
        labels = ["negative", "neutral", "positive", "mixed", "n/a"][: rng.randint(2, 5)]
        weights = [rng.random() ** 3 for _ in labels]
        n = rng.choice([2, 3, 7, 50, 400, 5000])
        a = rng.choices(labels, weights, k=n)
        b = [x if rng.random() < 0.6 else rng.choice(labels) for x in a]
        if rng.random() < 0.2:
            b = [labels[0]] * n  # one side gives one label only
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = cohen_kappa_score(a, b)
        expected = None if math.isnan(expected) or len(set(a) | set(b)) < 2 else expected
        assert cohen_kappa(a, b) == expected
        pairs = Counter(zip(a, b, strict=True))
        counted = cohen_kappa_counts([p[0] for p in pairs], [p[1] for p in pairs], list(pairs.values()))
        assert counted == expected


def test_cohen_kappa_is_undefined_with_one_label_not_perfect():
    assert cohen_kappa(["yes"] * 5, ["yes"] * 5) is None
    assert cohen_kappa(["yes", "no"], ["no", "yes"]) == pytest.approx(-1.0)


def test_fleiss_kappa_wikipedia_example_is_0_210():
    ratings = [[str(c) for c, n in enumerate(counts) for _ in range(n)] for counts in FLEISS_TABLE]
    assert fleiss(ratings) == pytest.approx(0.20993, abs=1e-5)
    assert fleiss(ratings) == pytest.approx(fleiss_kappa(np.array(FLEISS_TABLE)), abs=1e-12)
    assert fleiss([["p", "p"], ["n", "n"]]) == pytest.approx(1.0)
    assert fleiss([["p", "p"], ["p", "p"]]) is None  # one category: chance agreement is total
    with pytest.raises(ValueError, match="same number of ratings"):
        fleiss([["p", "p"], ["p", "n", "n"]])


def test_krippendorff_alpha_reliability_data_with_missing_values_is_0_743():
    votes = _reliability_votes()
    assert krippendorff_alpha(votes) == pytest.approx(0.743, abs=5e-4)
    matrix = np.array([[np.nan if v is None else v for v in values] for values in RELIABILITY.values()], float)
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert krippendorff_alpha(votes) == pytest.approx(expected, abs=1e-12)
    assert krippendorff_alpha({"a": {"1": "x"}, "b": {"2": "y"}}) is None  # nothing pairable


def test_fleiss_items_are_those_with_the_most_common_rating_count_or_all_named_annotators():
    votes = _reliability_votes()
    # Units with four ratings (u02-u09) outnumber those with three (u01, u10) and two (u11).
    ratings = fleiss_ratings(votes)
    assert len(ratings) == 8 and {len(r) for r in ratings} == {4}
    # A and B both rated units u01-u09 only.
    both = zip(RELIABILITY["A"][:9], RELIABILITY["B"][:9], strict=True)
    assert fleiss_ratings(votes, ["A", "B"]) == [[str(a), str(b)] for a, b in both]
    assert fleiss_ratings(votes, ["A"]) == []


# -- the labels asset's sources ------------------------------------------------------------------------


def _row(record, annotator, kind, label, conditional=False):
    return {
        "record_id": record,
        "annotator": annotator,
        "annotator_kind": kind,
        "label": label,
        "conditional": conditional,
    }


def test_source_agreement_leaves_out_resolved_rows_and_tie_breaker_votes():
    rows = [
        _row("r1", "llm:m:vote0", "llm", "pos"),
        _row("r1", "llm:m:vote1", "llm", "pos"),
        _row("r2", "llm:m:vote0", "llm", "pos"),
        _row("r2", "llm:m:vote1", "llm", "neg"),
        _row("r2", "llm:m:vote2", "llm", "neg", conditional=True),
        _row("r3", "llm:m:vote0", "llm", "neg"),
        _row("r3", "llm:m:vote1", "llm", None),  # failed vote: r3 cannot enter Fleiss
        _row("r3", "llm:m:vote2", "llm", "neg", conditional=True),
        _row("r1", "lf_rating", "lf", "pos"),
        _row("r2", "lf_rating", "lf", None),
        _row("r1", "resolved", "resolved", "pos"),
    ]
    report = source_agreement(rows)
    assert set(report["cohen"]) == {"llm:m:vote0 ~ llm:m:vote1", "lf_rating ~ llm:m:vote0", "lf_rating ~ llm:m:vote1"}
    assert report["fleiss_annotators"] == ["llm:m:vote0", "llm:m:vote1"]
    assert (report["fleiss_items"], report["fleiss_raters"]) == (2, 2)
    assert report["fleiss"] == pytest.approx(fleiss([["pos", "pos"], ["pos", "neg"]]), abs=1e-4)
    assert report["n_items"] == 3
    without_llm = source_agreement([r for r in rows if r["annotator_kind"] != "llm"])
    assert (without_llm["fleiss"], without_llm["fleiss_items"]) == (None, 0)


# -- gleaner agreement FILE ----------------------------------------------------------------------------


def _run(capsys, path) -> dict:
    assert main(["agreement", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one JSON object on one line
    return json.loads(out)


def _check_reliability_report(report: dict) -> None:
    assert report["n_items"] == 12
    assert report["krippendorff_alpha"] == pytest.approx(0.743, abs=5e-4)
    assert set(report["cohen"]) == {"A ~ B", "A ~ C", "A ~ D", "B ~ C", "B ~ D", "C ~ D"}
    a, b = RELIABILITY["A"], RELIABILITY["B"]
    shared = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    assert report["cohen"]["A ~ B"]["n_shared"] == len(shared) == 9
    assert report["cohen"]["A ~ B"]["kappa"] == pytest.approx(cohen_kappa_score(*zip(*shared, strict=True)), abs=1e-4)
    assert report["fleiss"] == pytest.approx(fleiss(fleiss_ratings(_reliability_votes())), abs=1e-4)


def test_agreement_command_on_csv(tmp_path, capsys):
    path = tmp_path / "annotations.csv"
    pl.DataFrame(_reliability_rows()).write_csv(path)
    _check_reliability_report(_run(capsys, path))


def test_agreement_command_on_parquet_with_integer_items_and_extra_columns(tmp_path, capsys):
    frame = pl.DataFrame(_reliability_rows()).with_columns(
        pl.col("item").str.slice(1).cast(pl.Int64).alias("item"), pl.lit("x").alias("note")
    )
    path = tmp_path / "annotations.parquet"
    frame.write_parquet(path)
    report = _run(capsys, path)
    assert report["krippendorff_alpha"] == pytest.approx(0.743, abs=5e-4) and report["n_items"] == 12


def _ls_task(task_id, choices: dict[str, str], control="sentiment"):
    return {
        "id": task_id,
        "data": {"text": f"review {task_id}"},
        "annotations": [
            {
                "id": task_id * 10 + n,
                "completed_by": {"id": n, "email": who},
                "result": [{"from_name": control, "to_name": "text", "type": "choices", "value": {"choices": [c]}}],
            }
            for n, (who, c) in enumerate(choices.items())
        ]
        + [{"id": task_id * 10 + 9, "completed_by": 99, "was_cancelled": True, "result": []}],
    }


def test_agreement_command_on_a_label_studio_export(tmp_path, capsys):
    # The Cohen worked example as a Label Studio project of someone else's: no record_id, another control.
    tasks = [
        _ls_task(i + 1, {"a@x": a, "b@x": b}, control="verdict")
        for i, (a, b) in enumerate(zip(READER_A, READER_B, strict=True))
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    report = _run(capsys, path)
    assert report["n_items"] == 50
    assert report["cohen"] == {
        "human:a@x ~ human:b@x": {
            "left": "human:a@x",
            "right": "human:b@x",
            "n_shared": 50,
            "observed_agreement": 0.7,
            "kappa": 0.4,
        }
    }
    # Two raters per item: Fleiss' kappa is Scott's pi here, and alpha its small-sample correction.
    assert report["fleiss"] == pytest.approx(fleiss([list(p) for p in zip(READER_A, READER_B, strict=True)]), abs=1e-4)
    assert report["krippendorff_alpha"] > report["fleiss"]
    assert read_annotations(path)["human:a@x"]["task:1"] == "yes"


def test_agreement_command_refuses_ambiguous_or_malformed_files(tmp_path, capsys):
    twice = tmp_path / "twice.csv"
    twice.write_text("item,annotator,label\n1,a,yes\n1,a,no\n1,b,yes\n", encoding="utf-8")
    assert main(["agreement", str(twice)]) == 2
    assert "labelled item '1' both 'yes' and 'no'" in capsys.readouterr().err
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,rater,label\n1,a,yes\n", encoding="utf-8")
    assert main(["agreement", str(wrong)]) == 2
    assert "missing column(s) ['item', 'annotator']" in capsys.readouterr().err


def test_agreement_report_is_the_same_code_the_assets_use():
    votes = _reliability_votes()
    report = agreement_report(votes)
    rows = [_row(item, coder, "human", label) for coder, labels in votes.items() for item, label in labels.items()]
    from_rows = source_agreement(rows)
    assert {k: from_rows[k] for k in ("cohen", "krippendorff_alpha", "n_items")} == {
        k: report[k] for k in ("cohen", "krippendorff_alpha", "n_items")
    }
