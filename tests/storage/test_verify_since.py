"""`verify_versions_since` reads only what may have changed, and still reports every problem
`verify_versions` reports: a write to an old version's file shows in its identity (its change time cannot be
set back), an added file in its folder's listing, and every version is re-read in turn by the scrub."""

import json
import os
import shutil

import polars as pl
import pytest

from gleaner.storage.versions import publish, verify_versions, verify_versions_since
from gleaner.storage.warehouse import parquet_bytes


def _publish(versions, train: int):
    split = parquet_bytes(pl.DataFrame({"record_id": [f"r{i}" for i in range(train)], "label": ["positive"] * train}))
    fields = {
        "rows": train,
        "rows_per_split_and_class": {"train": {"positive": train}},
        "class_distribution": {"positive": train},
    }
    return publish(versions, {"train.parquet": split}, fields)


@pytest.fixture
def versions(tmp_path):
    root = tmp_path / "training_data" / "review_sentiment"
    for train in (3, 4, 5):
        _publish(root, train)
    return root


def _rewrite_keeping_size_and_mtime(path, data: bytes) -> None:
    """Replace a read-only file's bytes in place, same size, and put its modification time back."""
    st = path.stat()
    assert len(data) == st.st_size
    path.chmod(0o644)
    with path.open("r+b") as handle:
        handle.write(data)
    path.chmod(0o444)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_second_check_reads_only_the_version_hashed_longest_ago(versions):
    first = verify_versions_since(versions, None)
    assert first.problems == [] and first.rehashed == [1, 2, 3] and first.unchanged == []
    second = verify_versions_since(versions, json.loads(json.dumps(first.ledger)))  # as stored: JSON
    assert second.problems == [] and second.rehashed == [1] and second.unchanged == [2, 3]
    third = verify_versions_since(versions, second.ledger)
    assert third.rehashed == [2]
    assert verify_versions_since(versions, third.ledger).rehashed == [3]  # every version in turn


def test_a_new_version_is_read_with_the_scrub_and_nothing_else(versions):
    ledger = verify_versions_since(versions, None).ledger
    _publish(versions, 6)
    after = verify_versions_since(versions, ledger)
    assert after.rehashed == [1, 4] and after.unchanged == [2, 3] and after.problems == []


def test_bytes_rewritten_under_the_same_size_and_time_are_still_found(versions):
    ledger = verify_versions_since(versions, None).ledger
    target = versions / "v2" / "train.parquet"
    _rewrite_keeping_size_and_mtime(target, bytes(len(target.read_bytes())))
    found = verify_versions_since(versions, ledger, scrub=0)  # no scrub: only the identity can show it
    assert found.rehashed == [2]
    assert "v2/train.parquet: sha256 differs from the manifest (tampered)" in found.problems
    again = verify_versions_since(versions, found.ledger, scrub=0)
    assert again.problems == found.problems and again.rehashed == [2]  # a version with a problem is read each time
    assert again.problems == verify_versions(versions)


def test_a_file_added_to_an_old_version_is_found(versions):
    ledger = verify_versions_since(versions, None).ledger
    (versions / "v1" / "extra.parquet").write_bytes(b"smuggled")
    found = verify_versions_since(versions, ledger, scrub=0)
    assert found.rehashed == [1] and found.problems == ["v1/extra.parquet: not in the manifest (extra file)"]


def test_a_version_copied_back_over_itself_is_read_again(versions):
    ledger = verify_versions_since(versions, None).ledger
    copy = versions.parent / "copy"
    shutil.copytree(versions / "v3", copy)
    shutil.rmtree(versions / "v3")
    shutil.copytree(copy, versions / "v3")  # same bytes, new files: read again, and clean
    found = verify_versions_since(versions, ledger, scrub=0)
    assert found.rehashed == [3] and found.problems == []


@pytest.mark.parametrize(
    "ledger",
    [
        "not a ledger",
        {"format": 99, "checks": 1, "versions": {}},
        {"format": 1, "checks": "one", "versions": {}},
        {"format": 1, "checks": 1, "versions": {"1": {"files": "all of them", "hashed_at": 1}, "v2": {}}},
    ],
)
def test_an_unreadable_ledger_means_every_version_is_read(versions, ledger):
    found = verify_versions_since(versions, ledger)
    assert found.rehashed == [1, 2, 3] and found.problems == []
    assert verify_versions_since(versions, found.ledger).rehashed == [1]  # and a usable ledger comes back
