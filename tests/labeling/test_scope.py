"""Which records the LLM is asked about: only what people and the rules leave open, unless the scope is all."""

from __future__ import annotations

from gleaner.labeling import LabelPolicy, RecordView, records_for_llm, unsettled_records

VIEWS = [RecordView(r, r, None) for r in ("agree", "conflict", "one", "none", "person")]
VOTES = {
    "agree": ("pos", "pos", None),
    "conflict": ("pos", "neg", None),
    "one": ("pos", None, None),
    "none": (None, None, None),
    "person": ("pos", "pos", "pos"),
}
FUNCTIONS = {f"lf{n}": (lambda view, n=n: VOTES[view.record_id][n]) for n in range(3)}


def test_only_records_the_rules_do_not_settle_are_asked() -> None:
    open_ids = [v.record_id for v in unsettled_records(VIEWS, FUNCTIONS, LabelPolicy(), human_labelled={"person"})]
    assert open_ids == ["conflict", "one", "none"]


def test_three_agreeing_rules_needed_leaves_two_open() -> None:
    policy = LabelPolicy(min_agreeing_rules=3)
    assert [v.record_id for v in unsettled_records(VIEWS, FUNCTIONS, policy)] == ["agree", "conflict", "one", "none"]


def test_without_rule_consensus_or_with_scope_all_everything_is_asked() -> None:
    everything = [v.record_id for v in VIEWS]
    assert [v.record_id for v in records_for_llm(VIEWS, FUNCTIONS, LabelPolicy(), "all", {"person"})] == everything
    no_consensus = LabelPolicy(allow_rule_consensus=False)
    assert [v.record_id for v in records_for_llm(VIEWS, FUNCTIONS, no_consensus, "unsettled")] == everything
