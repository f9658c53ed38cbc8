"""Agreement from per-partition vote tables and their vote patterns is `source_agreement` over the vote rows."""

from __future__ import annotations

import polars as pl
import pytest
from support.candidate_partitions import partitions

from gleaner.labeling import source_agreement
from gleaner.labeling.agreement import agreement_report, fleiss, fleiss_ratings, krippendorff_alpha
from gleaner.labeling.agreement_table import (
    TABLE_SCHEMA,
    _fleiss,
    _krippendorff,
    _long,
    add_patterns,
    combine,
    pattern_agreement,
    table_agreement,
    vote_patterns,
    vote_table,
)

SCHEMA = {"record_id": pl.String, "annotator": pl.String, "annotator_kind": pl.String, "label": pl.String,
          "conditional": pl.Boolean}  # fmt: skip


def _from_rows(votes: pl.DataFrame) -> dict:
    return source_agreement(votes.iter_rows(named=True))


def test_the_whole_table_gives_the_row_by_row_report() -> None:
    votes = pl.concat([p.votes for p in partitions().values()])  # a re-scraped record votes in two days
    assert (
        votes.group_by("record_id").agg(pl.col("partition_date").n_unique()).filter(pl.col("partition_date") > 1).height
    )
    assert table_agreement(*vote_table(votes)) == _from_rows(votes)


def test_tables_per_partition_combine_to_the_same_report() -> None:
    days = list(partitions().values())
    tables = [vote_table(p.votes) for p in days]
    llm = sorted({a for _, names in tables for a in names})
    combined = combine([t for t, _ in tables])
    assert table_agreement(combined, llm) == _from_rows(pl.concat([p.votes for p in days]))


def test_a_later_row_wins_and_conditional_resolved_and_abstaining_rows_do_not_count() -> None:
    rows = [
        ("r1", "lf_a", "lf", "pos", None), ("r1", "lf_b", "lf", "pos", None),
        ("r1", "lf_b", "lf", "neg", None),  # the later row of the same source wins
        ("r2", "lf_a", "lf", "neg", None), ("r2", "lf_b", "lf", None, None),  # an abstention
        ("r3", "lf_a", "lf", "pos", None), ("r3", "lf_b", "lf", "pos", None),
        ("r1", "llm_1", "llm", "pos", False), ("r1", "llm_2", "llm", "neg", True),  # conditional: not a source
        ("r2", "llm_1", "llm", None, False), ("r2", "llm_3", "llm", None, None),  # llm_3 only abstains
        ("r1", "resolved", "resolved", "pos", None),
    ]  # fmt: skip
    votes = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    report = table_agreement(*vote_table(votes))
    assert report == _from_rows(votes)
    assert report["cohen"]["lf_a ~ lf_b"]["n_shared"] == 2 and report["fleiss_annotators"] == ["llm_1", "llm_3"]


@pytest.mark.parametrize("rows", [[], [("r1", "lf_a", "lf", "pos", None)], [("r1", "resolved", "resolved", "x", None)]])
def test_degenerate_inputs_match_too(rows) -> None:
    votes = pl.DataFrame(rows, schema=SCHEMA, orient="row")
    assert table_agreement(*vote_table(votes)) == _from_rows(votes)


def test_combining_keeps_each_record_and_sources_last_vote_in_key_order() -> None:
    """Against the plain reading: every row in the order read, the last of each (record, source) kept, then
    sorted; missing ids and names included, on tables that repeat keys within and across partitions."""
    import random

    schema = {"record_id": pl.String, "annotator": pl.String, "label": pl.String}
    only_missing = pl.DataFrame({"record_id": [None, None], "annotator": [None, None], "label": ["1", "2"]}, schema)
    assert combine([only_missing]).rows() == [(None, None, "2")]  # the last row ends its key too
    rng = random.Random(3)
    for _ in range(200):
        tables = [
            pl.DataFrame(
                {
                    "record_id": [rng.choice(["a", "b", "c", None]) for _ in range(n)],
                    "annotator": [rng.choice(["x", "y", None]) for _ in range(n)],
                    "label": [str(rng.randint(0, 9)) for _ in range(n)],
                },
                schema=schema,
            )
            for n in (rng.randint(0, 25) for _ in range(rng.randint(1, 4)))
        ]
        expected = (
            pl.concat(tables)
            .unique(["record_id", "annotator"], keep="last", maintain_order=True)
            .sort(["record_id", "annotator"])
        )
        assert combine(tables).equals(expected)


def _random_table(rng, records: int, annotators: int, labels: int, coverage: float) -> pl.DataFrame:
    rows = [
        (f"r{r:04d}", f"a{a}", f"l{rng.randrange(labels)}")
        for r in range(records)
        for a in range(annotators)
        if rng.random() < coverage
    ]
    return pl.DataFrame(rows, schema=TABLE_SCHEMA, orient="row")


def _votes(table: pl.DataFrame) -> dict[str, dict[str, str]]:
    votes: dict[str, dict[str, str]] = {}
    for record, annotator, label in table.iter_rows():
        votes.setdefault(annotator, {})[record] = label
    return votes


def test_the_report_from_patterns_is_the_libraries_item_by_item() -> None:
    """Unrounded: Krippendorff's alpha and Fleiss' kappa from integer sums over patterns against the
    krippendorff package and statsmodels item by item, on tables with many patterns (up to 8 annotators,
    5 labels, missing votes), where the report's rounding would hide a wrong weight; and every pair's Cohen
    row as `agreement_report` gives it item by item."""
    import random

    rng = random.Random(7)
    for _ in range(40):
        annotators = rng.randint(2, 8)
        table = _random_table(rng, rng.randint(1, 300), annotators, rng.randint(2, 5), rng.uniform(0.2, 1.0))
        if table.is_empty():
            continue
        votes, patterns = _votes(table), vote_patterns(table)
        long, names = _long(patterns), sorted(votes)
        assert pattern_agreement(patterns, [])["cohen"] == agreement_report(votes)["cohen"]  # sklearn's bits
        expected = krippendorff_alpha(votes)
        got = _krippendorff(long, names)
        assert (got is None) == (expected is None) and (got is None or abs(got - expected) < 1e-12)
        wanted = sorted(rng.sample(names, min(len(names), rng.randint(2, 4))))
        ratings = fleiss_ratings(votes, wanted)
        kappa, items = _fleiss(long, wanted)
        assert items == len(ratings)
        expected = fleiss(ratings)
        assert (kappa is None) == (expected is None) and (kappa is None or abs(kappa - expected) < 1e-12)


def test_patterns_add_and_take_away_as_the_records_they_count() -> None:
    import random

    rng = random.Random(11)
    table = _random_table(rng, 400, 4, 3, 0.6)
    first, second = (table.filter(pl.col("record_id").is_in(ids.implode())) for ids in (
        pl.Series([f"r{r:04d}" for r in range(150)]), pl.Series([f"r{r:04d}" for r in range(150, 400)])))  # fmt: skip
    whole = vote_patterns(table)
    assert whole["records"].sum() == table["record_id"].n_unique() and whole.height < 4**4  # (3 labels or none)
    assert add_patterns([vote_patterns(first), vote_patterns(second)]).equals(whole)
    assert add_patterns([whole, vote_patterns(second)], [1, -1]).equals(vote_patterns(first))
    assert add_patterns([whole, whole], [1, -1]).is_empty()
    with pytest.raises(ValueError, match="below zero"):
        add_patterns([vote_patterns(first), vote_patterns(second)], [1, -1])
    assert pattern_agreement(whole, ["a0", "a1"]) == table_agreement(table, ["a0", "a1"])
