"""Whether the last candidate stands: only for the same inputs, policy and code, and only while its file is
the one the record and the gate's verdicts name."""

import polars as pl
import pytest

from gleaner.dataset import Candidate, CandidatePolicy, CheckVerdict, GatePolicy, gate_record
from gleaner.dataset.standing import build_key, build_record, standing_candidate

INPUTS = {"deduped_records": {"source=a/date=2026-11-02": "v1"}, "labels": {"source=a/date=2026-11-02": "w1"}}
POLICY = CandidatePolicy()


def _candidate() -> Candidate:
    frame = pl.DataFrame({"record_id": ["r1", "r2"], "split": ["train", "test"], "label": ["positive", "negative"]})
    verdicts = [CheckVerdict("schema", True, "every row validates", {"invalid": 0})]
    summary = {"pending_review": 3, "dedup": {"global_pass_removed": 1}}
    report = {"cohen": {"a ~ b": {"kappa": 0.5}}, "fleiss": None}
    return Candidate(frame, verdicts, summary, report, ["r9"], ["2026-11-02|a"], 1)


def _stored(candidate: Candidate, version: str = "cand-v1", key: str | None = None):
    key = key or build_key(INPUTS, POLICY, "code-1")
    summary = {**candidate.summary, "gate": gate_record(version, POLICY.gate, candidate.verdicts)}
    return build_record(key, version, candidate), key, summary


def test_the_key_changes_with_any_input_version_the_policy_or_the_code():
    key = build_key(INPUTS, POLICY, "code-1")
    assert build_key(dict(reversed(INPUTS.items())), POLICY, "code-1") == key  # order does not matter
    changed_version = {**INPUTS, "labels": {"source=a/date=2026-11-02": "w2"}}
    added = {**INPUTS, "human_labels": {"source=a/date=2026-11-03": "h1"}}
    others = [
        build_key(changed_version, POLICY, "code-1"),
        build_key(added, POLICY, "code-1"),
        build_key(INPUTS, CandidatePolicy(max_class_ratio=2.0), "code-1"),
        build_key(INPUTS, CandidatePolicy(gate=GatePolicy(kappa_threshold=0.9)), "code-1"),
        build_key(INPUTS, POLICY, "code-2"),
    ]
    assert len({key, *others}) == 6


def test_a_standing_candidate_is_the_one_built():
    candidate = _candidate()
    record, key, summary = _stored(candidate)
    standing = standing_candidate(record, key, candidate.frame, "cand-v1", summary, POLICY.gate)
    assert standing == candidate


@pytest.mark.parametrize("what", ["key", "file", "record names another file", "gate", "format", "garbled", "none"])
def test_anything_else_builds_again(what):
    candidate = _candidate()
    record, key, summary = _stored(candidate)
    version, gate = "cand-v1", POLICY.gate
    if what == "key":
        key = build_key(INPUTS, POLICY, "code-2")
    elif what == "file":  # the candidate rewritten since: its bytes hash to another version
        version = "cand-v2"
    elif what == "record names another file":  # verdicts for this file, a record for another
        record = {**record, "candidate_version": "cand-v0"}
    elif what == "gate":  # verdicts given under another gate policy
        gate = GatePolicy(kappa_threshold=0.9)
    elif what == "format":
        record = {**record, "format": 0}
    elif what == "garbled":
        record = {k: v for k, v in record.items() if k != "reinstated_ids"}
    else:
        record = None
    assert standing_candidate(record, key, candidate.frame, version, summary, gate) is None
