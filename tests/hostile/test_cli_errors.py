"""Class 8: a mistake on the command line is one line on stderr saying what is wrong and what is allowed,
with exit code 1 or 2; never a Python traceback."""

import socket

import polars as pl
import pytest
from conftest import isolated_environment
from corpus import DAY, gleaner, one_line

from dagster_project.cli import demo_url
from gleaner.demo_site import DemoSiteServer

pytestmark = pytest.mark.hostile_slow  # each case starts the real CLI

INGEST_MISTAKES = [
    (["--source", "../../etc", "--date", DAY], "gleaner: unknown source '../../etc'; configured: acme, globex"),
    (["--source", "nosuch", "--date", DAY], "gleaner: unknown source 'nosuch'; configured: acme, globex"),
    (["--source", "", "--date", DAY], "gleaner: unknown source ''; configured: acme, globex"),
    (["--source", "acme", "--date", "2026-02-30"], "gleaner: --date '2026-02-30' is not a calendar date (YYYY-MM-DD)"),
    (["--source", "acme", "--date", "20261120"], "gleaner: --date '20261120' is not a calendar date (YYYY-MM-DD)"),
    (
        ["--source", "acme", "--date", "2026-11-20T00"],
        "gleaner: --date '2026-11-20T00' is not a calendar date (YYYY-MM-DD)",
    ),
    (
        ["--source", "acme", "--date", "2026-10-31"],
        "gleaner: --date 2026-10-31 is before the partitions start (2026-11-01)",
    ),
    (
        ["--source", "acme", "--date", "2999-01-01"],
        "gleaner: --date 2999-01-01 has no partition yet: a day's partition exists once the day is over",
    ),
]


@pytest.mark.parametrize("args, message", INGEST_MISTAKES, ids=[" ".join(a) for a, _ in INGEST_MISTAKES])
def test_a_bad_ingest_argument_is_one_line(tmp_path, args, message):
    result = gleaner(["ingest", *args], isolated_environment(tmp_path))
    assert result.returncode == 1 and one_line(result) == message


def test_a_backfill_outside_the_partitions_is_one_line(tmp_path):
    result = gleaner(["backfill", "--from", "2026-10-30", "--to", "2026-11-02"], isolated_environment(tmp_path))
    assert result.returncode == 1
    assert one_line(result) == "gleaner: --date 2026-10-30 is before the partitions start (2026-11-01)"


@pytest.fixture
def parquet(tmp_path):
    path = tmp_path / "in.parquet"
    pl.DataFrame({"id": ["a", "b"], "text": ["one two three", "four five six"]}).write_parquet(path)
    return path


def test_dedup_of_a_file_that_is_not_parquet_is_one_line(tmp_path):
    bogus = tmp_path / "notes.parquet"
    bogus.write_text("id,text\n1,hello\n")
    result = gleaner(["dedup", str(bogus), str(tmp_path / "out"), "--id-col", "id", "--text-col", "text"], {})
    assert result.returncode == 2
    assert one_line(result).startswith(f"gleaner dedup: {bogus} is not a readable Parquet file")


def test_dedup_naming_a_missing_column_is_one_line(tmp_path, parquet):
    result = gleaner(["dedup", str(parquet), str(tmp_path / "out"), "--id-col", "id", "--text-col", "body"], {})
    assert result.returncode == 2
    assert one_line(result) == f"gleaner dedup: {parquet} has no column(s) body; found ['id', 'text']"


def test_dedup_of_a_missing_file_is_one_line(tmp_path):
    missing = tmp_path / "nope.parquet"
    result = gleaner(["dedup", str(missing), str(tmp_path / "out"), "--id-col", "id", "--text-col", "t"], {})
    assert result.returncode == 2 and one_line(result).startswith("gleaner dedup: ")


def test_dedup_with_a_threshold_out_of_range_is_one_line(tmp_path, parquet):
    args = ["dedup", str(parquet), str(tmp_path / "o"), "--id-col", "id", "--text-col", "text", "--threshold", "7"]
    result = gleaner(args, {})
    assert result.returncode == 2 and one_line(result) == "gleaner dedup: threshold must be in (0, 1], got 7.0"


def test_ingest_of_a_day_with_no_drop_says_so_and_does_not_crawl(tmp_path):
    env = isolated_environment(tmp_path)
    result = gleaner(["ingest", "--source", "acme", "--date", DAY], env)
    assert result.returncode == 1
    assert one_line(result).startswith(
        f"gleaner: ingest_partition failed for source=acme date={DAY}: step raw_pages: NoDropError: no drop for "
        f"source=acme date={DAY}: nothing to ingest. Deliver a drop (docs/drops.md) or ask for a crawl "
        "(gleaner ingest --crawl)"
    )
    assert not (tmp_path / "drops").exists() or not any((tmp_path / "drops").rglob("*"))


def test_demo_url_reuses_a_demo_site_already_serving():
    with DemoSiteServer(host="127.0.0.1", port=0) as server:
        assert demo_url(server.base_url) == (server.base_url, True)


def test_demo_url_moves_to_a_free_port_when_something_else_holds_it():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = f"http://127.0.0.1:{squatter.getsockname()[1]}"
        url, reuse = demo_url(taken)
    assert not reuse and url != taken and url.startswith("http://127.0.0.1:")


def test_an_unwritable_warehouse_is_one_line_and_the_drop_is_untouched(tmp_path):
    """The warehouse path is a file (a mount gone wrong): the run fails in one line and loses nothing."""
    from corpus import good_pages, make_drop

    env = isolated_environment(tmp_path)
    drop = make_drop(tmp_path / "drops", "d1", good_pages(2))
    before = {p.name: p.read_bytes() for p in drop.iterdir()}
    (tmp_path / "warehouse").write_text("not a folder")
    result = gleaner(["ingest", "--source", "acme", "--date", DAY], env)
    assert result.returncode == 1
    assert one_line(result).startswith(
        f"gleaner: ingest_partition failed for source=acme date={DAY}: step raw_pages: NotADirectoryError: "
    )
    assert {p.name: p.read_bytes() for p in drop.iterdir()} == before
