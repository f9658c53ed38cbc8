"""Class 4: a drop that cannot be used is reported by name and reason (a log line and a failed row at stage
`drop`) and never silently replaced by a crawl; a day with no drop is crawled only when asked, and a crawl that
reached nothing is not stored as the day's drop."""

import json

import pytest
from conftest import isolated_environment
from corpus import DAY, failed_rows, gleaner, good_pages, make_drop, one_line, partition_table

from gleaner.drops import NoDropError, find_partition_drops, needs_crawl

ALLOWED = "allowed: [A-Za-z0-9][A-Za-z0-9._-]{0,127}"
BAD_NAMES = {
    "bad name": f"drop id 'bad name' is not allowed: it has whitespace; {ALLOWED}",
    "café-1": f"drop id 'café-1' is not allowed: it has non-ASCII characters; {ALLOWED}",
    ".hidden": f"drop id '.hidden' is not allowed: it starts with a dot (hidden); {ALLOWED}",
    "-dash": f"drop id '-dash' is not allowed: it has characters outside [A-Za-z0-9._-] or is too long; {ALLOWED}",
    "x"
    * 129: f"drop id '{'x' * 129}' is not allowed: it has characters outside [A-Za-z0-9._-] or is too long; {ALLOWED}",
}


def _bad_drop(day_dir, name, pages=1):
    """A complete, readable drop under a name that is not allowed."""
    good = make_drop(day_dir.parents[1], "tmp-good", good_pages(pages, prefix=f"n{abs(hash(name)) % 1000}"))
    good.rename(day_dir / name)


@pytest.fixture
def drops(tmp_path):
    root = tmp_path / "drops"
    make_drop(root, "d1", good_pages(2))
    day = root / "acme" / DAY
    for name in BAD_NAMES:
        _bad_drop(day, name)
    return root


def test_every_unusable_drop_is_refused_by_name_and_reason(drops):
    found = find_partition_drops(drops, "acme", DAY)
    assert [d.drop_id for d in found.usable] == ["d1"]
    assert {r.name: r.reason for r in found.refused} == BAD_NAMES


def test_broken_markers_and_missing_warcs_are_refused_too(tmp_path):
    root = tmp_path / "drops"
    day = root / "acme" / DAY
    for name in ("torn-marker", "list-marker", "no-warc", "path-warc"):
        (day / name).mkdir(parents=True)
    (day / "torn-marker" / "_COMPLETE").write_text('{"sha256": "ab')
    (day / "list-marker" / "_COMPLETE").write_text("[1, 2]")
    (day / "no-warc" / "_COMPLETE").write_text("{}")
    (day / "path-warc" / "_COMPLETE").write_text(json.dumps({"warc_file": "../../x.warc.gz"}))
    (day / "waiting").mkdir()
    found = find_partition_drops(root, "acme", DAY)
    reasons = {r.name: r.reason for r in found.refused}
    assert reasons["torn-marker"].startswith(f"{day / 'torn-marker' / '_COMPLETE'} is not a readable JSON marker")
    assert reasons["list-marker"] == f"{day / 'list-marker' / '_COMPLETE'} must hold a JSON object"
    assert reasons["no-warc"] == f"{day / 'no-warc'} has no WARC file (looked for pages.warc.gz, pages.warc)"
    assert reasons["path-warc"].endswith("warc_file '../../x.warc.gz' must be a plain file name")
    assert found.waiting == ["waiting"] and found.usable == []
    assert not needs_crawl(found, crawl=True)  # drops exist, unusable: reported, never replaced by a crawl


def test_a_day_with_no_drop_is_crawled_only_when_asked(tmp_path):
    found = find_partition_drops(tmp_path / "drops", "acme", DAY)
    assert needs_crawl(found, crawl=True)
    with pytest.raises(NoDropError, match=f"no drop for source=acme date={DAY}: nothing to ingest"):
        needs_crawl(found, crawl=False)


@pytest.mark.hostile_slow
def test_ingest_reports_refused_drops_as_failed_rows_and_does_not_crawl(tmp_path, drops):
    env = isolated_environment(tmp_path)
    result = gleaner(["ingest", "--source", "acme", "--date", DAY, "--crawl"], env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name, reason in BAD_NAMES.items():
        assert f"raw_pages: drop acme/{DAY}/{name} refused: {reason}" in result.stdout
    assert sorted(r for r in failed_rows(tmp_path) if r[0] == "drop") == sorted(("drop", r) for r in BAD_NAMES.values())
    assert sorted(set(partition_table(tmp_path, "raw_pages")["drop_id"])) == sorted(["d1", *BAD_NAMES])
    assert not (drops / "acme" / DAY / "crawl-001").exists()
    assert partition_table(tmp_path, "canonical_records").height == 4


@pytest.mark.hostile_slow
def test_a_crawl_that_reaches_nothing_stores_no_drop(tmp_path):
    env = isolated_environment(tmp_path)  # GLEANER_DEMO_URL on a free port: nothing answers
    result = gleaner(["ingest", "--source", "acme", "--date", DAY, "--crawl"], env)
    assert result.returncode == 1
    line = one_line(result)
    assert line.startswith(f"gleaner: ingest_partition failed for source=acme date={DAY}: step raw_pages: ")
    assert "EmptyCrawlError: crawl of acme for 2026-11-20 got no HTTP response from any page (" in line
    assert "nothing stored, so a later drop or crawl is not shadowed" in line
    day = tmp_path / "drops" / "acme" / DAY
    assert not day.exists() or list(day.iterdir()) == []
