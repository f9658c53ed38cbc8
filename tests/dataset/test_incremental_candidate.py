"""The incremental candidate equals the from-scratch one, byte for byte, whatever order partitions arrive in.

Partitions with exact and near duplicates planted across days (tests/support/candidate_partitions.py) are
written to a warehouse one day at a time, in several orders; after each day the candidate is built from
the persisted state plus what is new, and compared with `build_candidate` over everything. A changed or
removed partition, and a missing or garbled state, must fall back and still match.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from support.candidate_partitions import Partition, edited, partitions

from gleaner.dataset import CandidatePolicy, Partitions, build_candidate, build_candidate_incremental
from gleaner.dataset.candidate_state import (
    AGREEMENT_FILE,
    DEDUP_FILE,
    LEAK_FILE,
    LEAK_PAIRS_FILE,
    MANIFEST,
    PATTERNS_FILE,
    SCHEMA_FILE,
    load_state,
)
from gleaner.dataset.quality import candidate_votes
from gleaner.dedup import local_settle
from gleaner.dedup.global_state import build_state
from gleaner.labeling.agreement_table import vote_patterns, vote_table
from gleaner.storage import LocalStore
from gleaner.storage import warehouse as wh

POLICY = CandidatePolicy()
STATE = "review_sentiment/candidate_state"
TABLES = ("canonical_records", "deduped_records", "labels", "near_duplicates")


def _write(store: LocalStore, day: Partition) -> None:
    frames = {"canonical_records": day.canonical, "deduped_records": day.deduped, "labels": day.votes,
              "near_duplicates": day.removals}  # fmt: skip
    for table, frame in frames.items():
        wh.write_frame(store, f"review_sentiment/{table}", frame, day.key)


def _remove(store: LocalStore, day: Partition) -> None:
    for table in TABLES:
        (store.root / wh.partition_key_path(f"review_sentiment/{table}", day.key) / wh.PART).unlink()


def _inputs(store: LocalStore) -> dict:
    read = {t: wh.read_all_with_versions(store, f"review_sentiment/{t}") for t in TABLES}
    return {
        "deduped": read["deduped_records"][0],
        "votes": read["labels"][0],
        "removals": read["near_duplicates"][0],
        "versions": {"deduped_records": read["deduped_records"][1], "labels": read["labels"][1]},
        "canonical": read["canonical_records"][0],
        "canonical_versions": read["canonical_records"][1],
    }


def _scratch(store: LocalStore):
    i = _inputs(store)
    return build_candidate(i["deduped"], i["votes"], i["canonical"], i["removals"], i["versions"], POLICY)


def _incremental(store: LocalStore):
    """As `labeled_dataset` builds it: the vote rows read are only those `candidate_votes` selects."""
    i = _inputs(store)
    humans = wh.read_matching(
        store, "review_sentiment/labels", "annotator_kind", ["human"], ["record_id", "annotator_kind"]
    )
    keep = candidate_votes([] if humans is None else humans["record_id"].to_list())
    i["votes"] = wh.read_all_with_versions(store, "review_sentiment/labels", keep)[0]
    reader = lambda table: lambda keys: wh.read_partitions(store, f"review_sentiment/{table}", keys)  # noqa: E731
    canonical = Partitions(i["canonical_versions"], reader("canonical_records"))
    labels = Partitions(i["versions"]["labels"], reader("labels"))
    return build_candidate_incremental(
        i["deduped"], i["votes"], canonical, labels, i["removals"], i["versions"], POLICY, store, STATE
    )


def _counts(how: str) -> tuple[int, int]:
    """(done now, of how many) from a part's "N of M ..." note."""
    done, _, total = how.split()[:3]
    return int(done), int(total)


def _same(a, b) -> None:
    assert wh.parquet_bytes(a.frame) == wh.parquet_bytes(b.frame)
    assert json.dumps(a.summary, sort_keys=True, default=str) == json.dumps(b.summary, sort_keys=True, default=str)
    assert a.agreement_report == b.agreement_report
    assert (a.reinstated_ids, a.reinstated_partitions, a.global_removed) == (
        b.reinstated_ids, b.reinstated_partitions, b.global_removed)  # fmt: skip
    assert [(v.name, v.passed, v.details) for v in a.verdicts] == [(v.name, v.passed, v.details) for v in b.verdicts]


@pytest.fixture(scope="module")
def days() -> dict[str, Partition]:
    return partitions()


@pytest.mark.parametrize("order", ["ABC", "CAB", "BCA"])
def test_adding_days_in_any_order_gives_the_from_scratch_candidate(order: str, days, tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for n, day in enumerate(order):
        _write(store, days[day])
        candidate, how = _incremental(store)
        assert how["dedup"].startswith("from scratch" if n == 0 else "incremental: 1 new partition")
        voters = days[day].votes.filter(pl.col("annotator_kind") != "resolved")["record_id"].n_unique()
        assert how["agreement"] == f"1 of {n + 1} partition(s) counted afresh, " + (
            "patterns counted over every record" if n == 0 else f"patterns of {voters} record(s) recounted"
        )
        validated = int(how["schema"].split()[0])  # the schema check saw only rows new since the last build
        assert (validated == candidate.frame.height) if n == 0 else (0 < validated < candidate.frame.height)
        sketched, texts = _counts(how["leak"])  # and the leak check sketched only texts new since
        assert (sketched == texts) if n == 0 else (0 < sketched < texts)
        _same(candidate, _scratch(store))
    # the persisted state itself is the one a pass over everything builds, row for row
    state = load_state(store, STATE, POLICY.dedup_threshold).dedup
    scratch, texts = build_state(_inputs(store)["canonical"], POLICY.dedup_threshold)
    assert state.drop("text_segment").equals(scratch.drop("text_segment"))
    segments = sorted((tmp_path / STATE).glob("texts-*.state"))
    stored = pl.concat(
        pl.read_parquet(p).with_columns(text_segment=pl.lit(int(p.stem.split("-")[1]), pl.Int64)) for p in segments
    )
    assert len(segments) == len(order)  # one written from scratch, one per addition
    patterns = load_state(store, STATE, POLICY.dedup_threshold).patterns  # and the vote patterns too
    assert patterns.equals(vote_patterns(vote_table(_inputs(store)["votes"])[0]))
    joined = stored.join(state, on=["record_id", "text_segment"])  # each record's text in the segment it names
    assert joined.select("record_id", "text").sort("record_id").equals(texts)


def test_the_planted_duplicates_are_settled_across_days(days, tmp_path: Path) -> None:
    """Guards the fixture: the cases the equality above is meant to cover really occur."""
    store = LocalStore(tmp_path)
    for day in "CA":
        _write(store, days[day])
        _incremental(store)
    _write(store, days["B"])
    candidate, _ = _incremental(store)
    state = load_state(store, STATE, POLICY.dedup_threshold).dedup
    kept = set(state.filter(pl.col("kept"))["record_id"])
    assert candidate.global_removed > 0  # stale per-day survivors were overruled
    kept = {k.removeprefix("record-") for k in kept}
    assert candidate.reinstated_ids == ["record-b-chain2"] and candidate.reinstated_partitions == ["2026-11-21|acme"]
    assert not {"c-near-0", "c-exact-0", "b-exact-0", "b-near-0", "b-chain"} & kept  # copies of earlier records
    assert {"a-000", "a-chain", "c-chain", "b-chain2"} <= kept
    assert "a-near-0" in kept and "c-020" not in kept  # day A, materialized after C, outranks what C kept
    assert candidate.summary["agreement_overall"]["fleiss_annotators"] == ["llm_a", "llm_b"]


def test_a_partition_already_known_and_unchanged_reads_nothing_new(days, tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for day in "AB":
        _write(store, days[day])
        first, _ = _incremental(store)
    again, how = _incremental(store)
    assert how == {
        "dedup": "unchanged",
        "agreement": "0 of 2 partition(s) counted afresh, patterns unchanged",
        "schema": f"0 of {again.frame.height} row(s) validated (the rest known valid)",
        "leak": f"0 of {again.frame['text'].n_unique()} distinct text(s) sketched (the rest known)",
    }
    _same(again, first)


@pytest.mark.parametrize("change", ["edited", "removed"])
def test_a_changed_or_removed_partition_rebuilds_and_still_matches(change: str, days, tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for day in "ABC":
        _write(store, days[day])
        _incremental(store)
    if change == "edited":
        _write(store, edited(days["B"]))
    else:
        _remove(store, days["B"])
    candidate, how = _incremental(store)
    assert how["dedup"] == "from scratch (a partition changed or was removed)"
    counted = "1 of 3" if change == "edited" else "0 of 2"
    voters = days["B"].votes.filter(pl.col("annotator_kind") != "resolved")["record_id"].n_unique()
    assert how["agreement"] == f"{counted} partition(s) counted afresh, patterns of {voters} record(s) recounted"
    _same(candidate, _scratch(store))


def test_new_votes_in_an_old_partition_recount_only_that_partition(days, tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for day in "AB":
        _write(store, days[day])
        _incremental(store)
    a = days["A"]
    human = a.votes.filter(pl.col("annotator") == "lf_rating").with_columns(
        annotator=pl.lit("ann2"), annotator_kind=pl.lit("human")
    )
    wh.write_frame(store, "review_sentiment/labels", pl.concat([a.votes, human]), a.key)
    candidate, how = _incremental(store)
    assert how["dedup"] == "unchanged" and how["agreement"].startswith(
        "1 of 2 partition(s) counted afresh, patterns of"
    )
    assert "ann2 ~ lf_rating" in candidate.agreement_report["cohen"]
    _same(candidate, _scratch(store))


@pytest.mark.parametrize(
    "damage", ["state deleted", "state garbled", "manifest garbled", "manifest deleted", "texts garbled"]
)
def test_a_missing_or_garbled_state_means_from_scratch(damage: str, days, tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for day in "AB":
        _write(store, days[day])
        _incremental(store)
    folder = tmp_path / STATE
    target = folder / {"state": DEDUP_FILE, "manifest": MANIFEST, "texts": "texts-0.state"}[damage.split()[0]]
    if damage.endswith("deleted"):
        target.unlink()
    else:
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
    _write(store, days["C"])
    candidate, how = _incremental(store)
    assert how["dedup"].startswith("from scratch (")
    if damage == "texts garbled":  # found out only when the addition needed texts from it
        assert how["dedup"] == "from scratch (texts-0.state does not match the manifest)"
    _same(candidate, _scratch(store))
    _, how = _incremental(store)  # the rebuilt state is saved and used
    assert how["dedup"] == "unchanged"


def _damage(folder: Path, name: str, damage: str, part: str, hash_field: str) -> None:
    """Delete or garble a state file, or replace it by a table of other columns that hashes to what the
    manifest's `part` says under `hash_field`."""
    target = folder / name
    if damage == "deleted":
        target.unlink()
    elif damage == "garbled":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
    else:
        target.write_bytes(wh.parquet_bytes(pl.DataFrame({"h0": ["x"]})))
        manifest = json.loads((folder / MANIFEST).read_text())
        manifest[part][hash_field] = hashlib.sha256(target.read_bytes()).hexdigest()
        (folder / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage", ["deleted", "garbled", "other columns"])
@pytest.mark.parametrize("part", ["schema", "leak"])
def test_a_missing_or_garbled_gate_state_means_checking_everything(part: str, damage: str, days, tmp_path) -> None:
    """The schema part (fingerprints of valid rows) and the leak part (the leak check's sketches): either
    unusable means that check does everything itself, with the same candidate, and saves the part again."""
    store = LocalStore(tmp_path)
    for day in "AB":
        _write(store, days[day])
        _incremental(store)
    _damage(tmp_path / STATE, {"schema": SCHEMA_FILE, "leak": LEAK_FILE}[part], damage, part, "sha256")
    state = load_state(store, STATE, POLICY.dedup_threshold)
    assert (state.schema if part == "schema" else state.sketches) is None
    assert (state.sketches if part == "schema" else state.schema) is not None  # the other part still counts
    _write(store, days["C"])
    candidate, how = _incremental(store)
    done, total = _counts(how[part])
    assert done == total > 0
    _same(candidate, _scratch(store))
    _, how = _incremental(store)  # the part is saved again and used
    assert _counts(how[part])[0] == 0


@pytest.mark.parametrize("damage", ["deleted", "garbled", "other columns"])
def test_missing_or_garbled_leak_pairs_mean_verifying_every_pair(damage: str, days, tmp_path) -> None:
    """The leak check's known pairs (`leak-pairs.state`) unusable: its sketches still count, every candidate
    pair is verified again, the candidate is the same, and the pairs are saved again."""
    store = LocalStore(tmp_path)
    for day in "AB":
        _write(store, days[day])
        _incremental(store)
    pairs = load_state(store, STATE, POLICY.dedup_threshold).sketches.pairs
    assert pairs is not None  # (empty here: these days hold no candidate pairs; tests/dedup/test_known_pairs.py)
    _damage(tmp_path / STATE, LEAK_PAIRS_FILE, damage, "leak", "pairs_sha256")
    state = load_state(store, STATE, POLICY.dedup_threshold)
    assert state.sketches is not None and state.sketches.pairs is None
    assert any(LEAK_PAIRS_FILE in problem for problem in state.problems)
    _write(store, days["C"])
    candidate, _ = _incremental(store)
    _same(candidate, _scratch(store))
    assert load_state(store, STATE, POLICY.dedup_threshold).sketches.pairs is not None  # saved again


@pytest.mark.parametrize("damage", ["deleted", "garbled", "other columns"])
def test_missing_or_garbled_vote_patterns_mean_counting_every_record(damage: str, days, tmp_path) -> None:
    """The agreement's vote patterns (`agreement-patterns.state`) unusable: the vote tables still count (no
    partition is read again), the patterns are counted over every record, the candidate is the same, and the
    patterns are saved again and used."""
    store = LocalStore(tmp_path)
    for day in "AB":
        _write(store, days[day])
        _incremental(store)
    _damage(tmp_path / STATE, PATTERNS_FILE, damage, "agreement", "patterns_sha256")
    state = load_state(store, STATE, POLICY.dedup_threshold)
    assert state.agreement is not None and state.patterns is None
    _write(store, days["C"])
    candidate, how = _incremental(store)
    assert how["agreement"] == "1 of 3 partition(s) counted afresh, patterns counted over every record"
    _same(candidate, _scratch(store))
    _, how = _incremental(store)
    assert how["agreement"] == "0 of 3 partition(s) counted afresh, patterns unchanged"


@pytest.mark.parametrize("base", ["agreement", "leak"])
def test_a_part_is_used_only_with_its_base(base: str, days, tmp_path) -> None:
    """The vote patterns count the records of the stored vote tables, the known leak pairs the stored
    sketches' texts: with the base unusable, the part is not used either, though its own file is sound. The
    parts are read on two threads; the problems come in the parts' order all the same."""
    store = LocalStore(tmp_path)
    for day in "AB":
        _write(store, days[day])
        _incremental(store)
    folder = tmp_path / STATE
    _damage(folder, AGREEMENT_FILE if base == "agreement" else LEAK_FILE, "garbled", base, "sha256")
    _damage(folder, SCHEMA_FILE, "deleted", "schema", "sha256")
    (folder / DEDUP_FILE).unlink()
    state = load_state(store, STATE, POLICY.dedup_threshold)
    damaged = AGREEMENT_FILE if base == "agreement" else LEAK_FILE
    problems = [f"{DEDUP_FILE} missing", f"{damaged} does not match the manifest", f"{SCHEMA_FILE} missing"]
    assert state.problems == (problems if base == "agreement" else [problems[0], problems[2], problems[1]])
    assert state.dedup is None and state.schema is None
    if base == "agreement":
        assert state.agreement is None and state.patterns is None and state.sketches.pairs is not None
    else:
        assert state.sketches is None and state.agreement is not None and state.patterns is not None


def test_another_threshold_does_not_use_the_state(days, tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    _write(store, days["A"])
    _incremental(store)
    assert load_state(store, STATE, 0.9).dedup is None
    assert load_state(store, STATE, POLICY.dedup_threshold).dedup is not None


def test_another_engine_settles_the_same_state(days) -> None:
    """An engine that settles by itself (Spark) gives the same state; one that names only the kept
    records' clusters is refused, since an addition closes over every record's cluster."""

    def engine(universe: pl.DataFrame, threshold: float) -> tuple[list[str], dict[str, str]]:
        kept, clusters = local_settle(universe, threshold)
        return kept, dict(reversed(clusters.items()))

    def kept_only(universe: pl.DataFrame, threshold: float) -> tuple[list[str], dict[str, str]]:
        kept, clusters = local_settle(universe, threshold)
        return kept, {k: clusters[k] for k in kept}

    canonical = pl.concat([d.canonical for d in days.values()])
    assert build_state(canonical, POLICY.dedup_threshold, engine)[0].equals(
        build_state(canonical, POLICY.dedup_threshold)[0]
    )
    with pytest.raises(ValueError, match=r"named no cluster for \d+ record"):
        build_state(canonical, POLICY.dedup_threshold, kept_only)
