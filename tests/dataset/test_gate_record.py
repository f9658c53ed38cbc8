"""Publishing judges the candidate by the verdicts labeled_dataset recorded, only when they were given to
exactly these bytes under this policy and code; otherwise the gate runs again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from support.candidate_partitions import partitions

from gleaner.dataset import CandidatePolicy, GateFailed, build_candidate, gate_record, release
from gleaner.storage import LocalStore
from gleaner.storage.versions import published_versions
from gleaner.storage.warehouse import parquet_bytes, sha256_bytes

POLICY = CandidatePolicy()


@pytest.fixture(scope="module")
def candidate():
    days = list(partitions().values())
    concat = lambda name: pl.concat([getattr(d, name) for d in days], how="diagonal_relaxed")  # noqa: E731
    built = build_candidate(concat("deduped"), concat("votes"), concat("canonical"), concat("removals"),
                            {"deduped_records": {}, "labels": {}}, POLICY)  # fmt: skip
    assert all(v.passed for v in built.verdicts)
    return built


def _summary(candidate, version: str, gate=POLICY.gate) -> dict:
    """The summary with a recorded verdict that says `schema` failed: true of no candidate here, so a
    release that fails on it is one that took the record instead of running the gate."""
    failing = [replace(v, passed=False) if v.name == "schema" else v for v in candidate.verdicts]
    return {**candidate.summary, "gate": gate_record(version, gate, failing)}


def _release(root: Path, candidate, summary: dict, version: str | None):
    return release(LocalStore(root), candidate.frame, summary, POLICY.gate, {}, candidate_version=version)


def test_the_recorded_verdicts_stand_for_the_same_bytes(candidate, tmp_path: Path) -> None:
    version = sha256_bytes(parquet_bytes(candidate.frame))
    with pytest.raises(GateFailed, match="schema"):
        _release(tmp_path, candidate, _summary(candidate, version), version)
    assert published_versions(LocalStore(tmp_path)) == []


@pytest.mark.parametrize("why", ["other bytes", "no version given", "other policy"])
def test_otherwise_the_gate_runs_again(why: str, candidate, tmp_path: Path) -> None:
    version = sha256_bytes(parquet_bytes(candidate.frame))
    recorded_for = {"other bytes": "0" * 64}.get(why, version)
    gate = replace(POLICY.gate, kappa_threshold=0.5) if why == "other policy" else POLICY.gate
    summary = _summary(candidate, recorded_for, gate)
    released = _release(tmp_path, candidate, summary, None if why == "no version given" else version)
    assert released.outcome.created and published_versions(LocalStore(tmp_path)) == [1]
