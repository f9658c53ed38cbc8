"""Class 2: every byte range of a drop that cannot be read is a failed row (stage `drop`, reason, offset), and
the pages read reconcile with the marker's page_count; nothing ends quietly."""

import gzip
import json

import pytest
from conftest import isolated_environment
from corpus import DAY, failed_rows, gleaner, good_pages, make_drop, partition_table, rewrite_warc

from gleaner.drops import find_partition_drops, partition_pages
from gleaner.drops.local import MARKER, WARC_NAME
from gleaner.drops.warc_records import GZIP_MAGIC, RawRecord, Unreadable, split_warc
from gleaner.extract import ExtractionSpec, extract_batch
from gleaner.pages import FetchedPage


def _read(drops):
    found = find_partition_drops(drops, "acme", DAY)
    return [page for _, page in partition_pages(found)]


def _drop_errors(pages):
    return [p.error for p in pages if p.error]


def _members(data: bytes) -> list[int]:
    """Offsets of the gzip members (one per record, as Gleaner writes them)."""
    return [r.offset for r in split_warc(data) if isinstance(r, RawRecord)]


@pytest.fixture
def drop(tmp_path):
    return make_drop(tmp_path / "drops", "d1", good_pages(5))


def test_an_intact_drop_reads_every_page_and_no_failure(drop, tmp_path):
    pages = _read(tmp_path / "drops")
    assert len(pages) == 5 and _drop_errors(pages) == []


def test_a_warc_truncated_mid_record_keeps_the_whole_records_and_names_the_torn_one(drop, tmp_path):
    data = (drop / WARC_NAME).read_bytes()
    last = _members(data)[-1]
    rewrite_warc(drop, data[: last + 40])
    pages = _read(tmp_path / "drops")
    assert len([p for p in pages if not p.error]) == 4
    assert _drop_errors(pages) == [
        f"drop: {WARC_NAME} does not match the marker's sha256 (changed or truncated after the marker); read as is",
        f"drop: gzip member at offset {last} is cut short (the file is truncated)",
        "drop: the marker states 5 pages; 4 were read and 1 byte range(s) could not be",
    ]
    torn = next(p for p in pages if "cut short" in (p.error or ""))
    assert torn.canonical_url == f"d1/{WARC_NAME}#offset={last}"


def test_a_content_length_longer_than_the_record_is_a_failed_row(drop, tmp_path):
    plain = gzip.decompress((drop / WARC_NAME).read_bytes())
    marker = json.loads((drop / MARKER).read_text())
    (drop / WARC_NAME).unlink()
    last = plain.rindex(b"WARC/1.1\r\n")
    head = plain[last:]
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    forged = plain[:last] + head.replace(
        f"Content-Length: {length}".encode(), f"Content-Length: {length + 500}".encode(), 1
    )
    (drop / "pages.warc").write_bytes(forged)
    marker.pop("sha256")
    marker["warc_file"] = "pages.warc"
    (drop / MARKER).write_text(json.dumps(marker))
    pages = _read(tmp_path / "drops")
    assert len([p for p in pages if not p.error]) == 4
    errors = _drop_errors(pages)
    body = len(head) - head.index(b"\r\n\r\n") - 4
    assert errors[0] == (
        f"drop: WARC record at offset {last} declares Content-Length {length + 500} "
        f"but only {body} bytes follow (truncated)"
    )
    assert errors[1] == "drop: the marker states 5 pages; 4 were read and 1 byte range(s) could not be"


@pytest.mark.parametrize(
    "blob, reason",
    [
        (b"<html>this is a web page, not a WARC</html>" * 20, "not a WARC record at offset 0"),
        (b"", "the WARC file is empty (0 bytes)"),
        (GZIP_MAGIC + b"\x00" * 40, "gzip member at offset 0"),
        (gzip.compress(b"PK\x03\x04 a zip inside gzip"), "not a WARC record at offset 0"),
    ],
    ids=["html-named-warc", "empty-file", "corrupt-gzip", "gzip-of-not-a-warc"],
)
def test_a_file_that_is_no_warc_is_never_an_empty_drop(drop, tmp_path, blob, reason):
    rewrite_warc(drop, blob, keep_sha=False)
    pages = _read(tmp_path / "drops")
    assert [p for p in pages if not p.error] == []
    errors = _drop_errors(pages)
    assert len(errors) == 2 and reason in errors[0], errors
    assert errors[1].startswith("drop: the marker states 5 pages; 0 were read")


def test_a_corrupt_record_in_the_middle_costs_that_record_only(drop, tmp_path):
    data = (drop / WARC_NAME).read_bytes()
    offsets = _members(data)
    third, fourth = offsets[3], offsets[4]
    broken = data[:third] + GZIP_MAGIC + b"\xff" * (fourth - third - 3) + data[fourth:]
    rewrite_warc(drop, broken, keep_sha=False)
    pages = _read(tmp_path / "drops")
    assert len([p for p in pages if not p.error]) == 4
    assert any(f"corrupt gzip member at offset {third}" in e for e in _drop_errors(pages))


def test_a_whole_file_gzip_warc_reads_like_per_record_gzip(drop, tmp_path):
    plain = b"".join(gzip.decompress(r) for r in [(drop / WARC_NAME).read_bytes()])
    rewrite_warc(drop, gzip.compress(plain), keep_sha=False)
    assert len(_read(tmp_path / "drops")) == 5


def test_split_warc_reports_trailing_garbage_after_the_last_record(drop):
    data = (drop / WARC_NAME).read_bytes() + b"garbage tail"
    found = list(split_warc(data))
    assert isinstance(found[-1], Unreadable) and "not a gzip member" in found[-1].reason


def test_unreadable_ranges_fail_at_stage_drop_and_pages_reconcile(drop, tmp_path):
    data = (drop / WARC_NAME).read_bytes()
    rewrite_warc(drop, data[: _members(data)[-1] + 40])
    pages = _read(tmp_path / "drops")
    stored = [FetchedPage.of("acme", p.canonical_url, p.status, p.html, p.error, p.fetched_at) for p in pages]
    batch = extract_batch(stored, ExtractionSpec("schema_org_reviews"))
    assert batch.reconciles and batch.counts()["pages_in"] == 7
    assert sorted(f["stage"] for f in batch.failures if f["stage"] == "drop") == ["drop"] * 3


@pytest.mark.hostile_slow
def test_ingest_of_a_truncated_drop_exits_0_with_the_torn_part_as_failed_rows(drop, tmp_path):
    env = isolated_environment(tmp_path)
    data = (drop / WARC_NAME).read_bytes()
    last = _members(data)[-1]
    rewrite_warc(drop, data[: last + 40])
    result = gleaner(["ingest", "--source", "acme", "--date", DAY], env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert partition_table(tmp_path, "raw_pages").height == 4 + 3
    assert partition_table(tmp_path, "canonical_records").height == 8
    assert [r for r in failed_rows(tmp_path) if r[0] == "drop"] == sorted(
        [
            (
                "drop",
                f"{WARC_NAME} does not match the marker's sha256 (changed or truncated after the marker); read as is",
            ),
            ("drop", f"gzip member at offset {last} is cut short (the file is truncated)"),
            ("drop", "the marker states 5 pages; 4 were read and 1 byte range(s) could not be"),
        ]
    )


def test_a_member_larger_than_one_feed_slice_and_many_small_ones_split_at_their_offsets():
    """Members are inflated a slice at a time (`_FEED`): a record whose compressed member spans several
    slices, between small ones, still comes out whole and at its own offset; padding at the end is not a
    failure. (How fast is measured by benchmarks/end_to_end.py, not here.)"""
    import os

    from gleaner.drops.warc_records import _FEED

    def record(block: bytes) -> bytes:
        return b"WARC/1.0\r\nWARC-Type: resource\r\nContent-Length: %d\r\n\r\n%s\r\n\r\n" % (len(block), block)

    blocks = [b"small %d" % i for i in range(50)]
    blocks.insert(20, os.urandom(3 * _FEED))  # incompressible: the member is three slices long
    members = [gzip.compress(record(b), mtime=0) for b in blocks]
    offsets = [sum(len(m) for m in members[:i]) for i in range(len(members))]
    found = list(split_warc(b"".join(members) + b"\x00" * 100))
    assert [r.offset for r in found] == offsets and all(isinstance(r, RawRecord) for r in found)
    assert [r.data for r in found] == [record(b) for b in blocks]
