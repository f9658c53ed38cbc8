"""Which records the LLM is asked about: only what people and the rules leave open, unless the scope is all."""

from __future__ import annotations

from gleaner.labeling import LabelPolicy, RecordView, apply_functions, records_for_llm, rules_settled

VIEWS = [RecordView(r, r, None) for r in ("agree", "conflict", "one", "none", "person")]
VOTES = {
    "agree": ("pos", "pos", None),
    "conflict": ("pos", "neg", None),
    "one": ("pos", None, None),
    "none": (None, None, None),
    "person": ("pos", "pos", "pos"),
}
FUNCTIONS = {f"lf{n}": (lambda view, n=n: VOTES[view.record_id][n]) for n in range(3)}
RULE_ROWS = apply_functions(VIEWS, FUNCTIONS)


def _asked(policy: LabelPolicy, scope: str = "unsettled", people: set[str] | None = None) -> list[str]:
    settled = rules_settled(RULE_ROWS, policy)
    return [v.record_id for v in records_for_llm(VIEWS, settled, scope, people or set())]


def test_only_records_the_rules_do_not_settle_are_asked() -> None:
    assert rules_settled(RULE_ROWS, LabelPolicy()) == {"agree", "person"}  # two agreeing rules, none against
    assert _asked(LabelPolicy(), people={"person"}) == ["conflict", "one", "none"]


def test_a_record_people_labelled_is_not_asked_even_when_the_rules_leave_it_open() -> None:
    assert _asked(LabelPolicy(min_agreeing_rules=3)) == ["agree", "conflict", "one", "none"]
    assert _asked(LabelPolicy(min_agreeing_rules=4), people={"person"}) == ["agree", "conflict", "one", "none"]


def test_without_rule_consensus_or_with_scope_all_everything_is_asked() -> None:
    everything = [v.record_id for v in VIEWS]
    assert _asked(LabelPolicy(), "all", {"person"}) == everything
    assert _asked(LabelPolicy(allow_rule_consensus=False)) == everything


def test_an_empty_partition_asks_nothing() -> None:
    assert rules_settled([], LabelPolicy()) == set()
    assert records_for_llm([], set(), "unsettled") == []
