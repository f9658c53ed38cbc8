"""Class 5: a published version's bytes never change, and every way of changing what is on disk is reported
by `gleaner versions --verify` (exit 1, one line per problem) instead of crashing or being read as data."""

import json
import os
import stat

import polars as pl
import pytest
from conftest import isolated_environment
from corpus import gleaner

from gleaner.storage.versions import (
    DIGESTS,
    broken_versions,
    publish,
    published_versions,
    verify_versions,
    version_paths,
)
from gleaner.storage.warehouse import parquet_bytes

DATASET = "review_sentiment"


def _split(n: int, label: str) -> bytes:
    return parquet_bytes(pl.DataFrame({"record_id": [f"r{i}" for i in range(n)], "label": [label] * n}))


def _publish(versions, train=3, test=2):
    files = {"train.parquet": _split(train, "positive"), "test.parquet": _split(test, "negative")}
    fields = {
        "rows": train + test,
        "rows_per_split_and_class": {"train": {"positive": train}, "test": {"negative": test}},
        "class_distribution": {"negative": test, "positive": train},
    }
    return publish(versions, files, fields, render_card=lambda m: f"# {m['name']}\n")


@pytest.fixture
def published(tmp_path):
    env = isolated_environment(tmp_path)
    versions = tmp_path / "warehouse" / "training_data" / DATASET  # where the review dataset's versions live
    _publish(versions)
    before = {p.name: p.read_bytes() for p in (versions / "v1").iterdir()}
    return env, versions, before


def _verify(env):
    return gleaner(["versions", "--verify"], env)


def _unchanged(versions, before):
    return {p.name: p.read_bytes() for p in (versions / "v1").iterdir()} == before


def test_a_fresh_version_verifies_and_its_files_are_read_only(published):
    env, versions, _ = published
    result = _verify(env)
    assert result.returncode == 0 and "verified" in result.stdout, result.stderr
    for path in (versions / "v1").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o444, path
    assert (versions / DIGESTS / "v1.sha256").is_file()


def test_an_extra_parquet_file_is_flagged_and_never_read_as_part_of_the_version(published):
    env, versions, _ = published
    (versions / "v1" / "extra.parquet").write_bytes(_split(57, "positive"))
    result = _verify(env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "TAMPERED review_sentiment: v1/extra.parquet: not in the manifest (extra file)"
    ]
    warehouse = versions.parent.parent
    assert pl.read_parquet(version_paths(warehouse, 1, DATASET)).height == 5  # the documented reader
    assert pl.read_parquet(str(versions / "v1" / "*.parquet")).height == 62  # what a glob would have read


def test_edited_manifest_counts_are_detected(published):
    env, versions, _ = published
    manifest_path = versions / "v1" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["rows"] = 500
    manifest["rows_per_split_and_class"]["train"]["positive"] = 498
    os.chmod(manifest_path, 0o644)
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    result = _verify(env)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert (
        lines[0]
        == "TAMPERED review_sentiment: v1/manifest.json: sha256 differs from the recorded digest (manifest edited)"
    )
    assert (
        "TAMPERED review_sentiment: v1/manifest.json: train counts {'positive': 498} "
        "but train.parquet holds {'positive': 3}" in lines
    )
    assert any("class_distribution" in line for line in lines)


def test_a_deleted_manifest_is_a_broken_version_and_the_next_publish_never_rewrites_v1(published):
    env, versions, before = published
    (versions / "v1" / "manifest.json").unlink()
    del before["manifest.json"]
    listing = gleaner(["versions"], env)
    assert listing.returncode == 0
    row = json.loads(listing.stdout.splitlines()[0])
    assert row["broken"] == "manifest.json is missing" and row["version"] == f"{DATASET}_v1"
    assert _verify(env).stderr.splitlines() == [
        "TAMPERED review_sentiment: v1: broken version: manifest.json is missing"
    ]
    outcome = _publish(versions, train=4)
    assert outcome.version == 2 and _unchanged(versions, before)
    assert published_versions(versions) == [2] and broken_versions(versions) == {1: "manifest.json is missing"}


@pytest.mark.parametrize("torn", [b"", b'{"version": 1, "fi', b"[]"], ids=["zero-bytes", "half", "not-object"])
def test_a_torn_manifest_is_reported_as_a_broken_version_never_a_crash(published, torn):
    env, versions, before = published
    manifest_path = versions / "v1" / "manifest.json"
    os.chmod(manifest_path, 0o644)
    manifest_path.write_bytes(torn)
    listing = gleaner(["versions"], env)
    assert listing.returncode == 0 and "Traceback" not in listing.stderr
    assert "broken" in json.loads(listing.stdout.splitlines()[0])
    verified = _verify(env)
    assert verified.returncode == 1 and "Traceback" not in verified.stderr
    assert verified.stderr.splitlines()[0].startswith("TAMPERED review_sentiment: v1: broken version: manifest.json is")
    outcome = _publish(versions, train=4)
    assert outcome.version == 2
    assert {p.name: p.read_bytes() for p in (versions / "v1").iterdir() if p.name != "manifest.json"} == {
        k: v for k, v in before.items() if k != "manifest.json"
    }


def test_a_changed_or_missing_data_file_is_detected(published):
    env, versions, _ = published
    os.chmod(versions / "v1" / "train.parquet", 0o644)
    (versions / "v1" / "train.parquet").write_bytes(_split(3, "negative"))
    (versions / "v1" / "test.parquet").unlink()
    lines = _verify(env).stderr.splitlines()
    assert "TAMPERED review_sentiment: v1/train.parquet: sha256 differs from the manifest (tampered)" in lines
    assert "TAMPERED review_sentiment: v1/test.parquet: missing" in lines


def test_leftovers_of_a_dead_publish_are_no_version_and_are_never_written_into(tmp_path):
    versions = tmp_path / "training_data"
    (versions / "v1").mkdir(parents=True)
    (versions / "v1" / "train.parquet").write_bytes(b"half a file")
    assert published_versions(versions) == [] and broken_versions(versions) == {}
    assert _publish(versions).version == 2
    assert (versions / "v1" / "train.parquet").read_bytes() == b"half a file"
    assert verify_versions(versions) == []


def test_identical_content_publishes_nothing_and_leaves_the_bytes(published):
    _, versions, before = published
    again = _publish(versions)
    assert (again.version, again.created) == (1, False) and _unchanged(versions, before)
