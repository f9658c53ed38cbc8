"""The whole graph, materialized for real: demo site, Chromium, DuckDB, publish, re-run.

One module-scoped run of `gleaner demo` (the README's first command minus setup) feeds several tests.
"""

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from conftest import isolated_environment, run_cli

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    env = isolated_environment(tmp)
    output = run_cli(["demo"], env).stdout
    return {"env": env, "root": tmp / "warehouse", "output": output}


def _count(con, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def test_demo_publishes_v1_and_prints_a_summary(demo):
    out = demo["output"]
    for needle in (
        "rows per stage:",
        "failures by reason:",
        "duplicates removed",
        "class distribution",
        "agreement",
        "published: training_data_v1",
    ):
        assert needle in out, out
    assert "LLM labeler off" not in out or out.count("LLM labeler off") <= 2


def test_counts_reconcile_from_stage_to_stage(demo):
    root = demo["root"]
    con = duckdb.connect(str(root / "catalog.duckdb"), read_only=True)
    raw = _count(con, "SELECT count(*) FROM raw_pages")
    yielded = _count(con, "SELECT count(DISTINCT page_url) FROM canonical_records")
    failed_pages = _count(con, "SELECT count(DISTINCT page_url) FROM failed_records WHERE stage = 'fetch'")
    assert raw > 20 and yielded > 10 and failed_pages >= 1
    canonical = _count(con, "SELECT count(*) FROM canonical_records")
    deduped = _count(con, "SELECT count(*) FROM deduped_records")
    removed = _count(con, "SELECT count(*) FROM near_duplicates")
    assert canonical == deduped + removed
    assert _count(con, "SELECT count(*) FROM near_duplicates WHERE kind = 'exact'") >= 1
    assert _count(con, "SELECT count(*) FROM near_duplicates WHERE kind = 'near'") >= 1
    resolved = con.execute(
        "SELECT status, count(*) FROM labels WHERE annotator_kind = 'resolved' GROUP BY 1"
    ).fetchall()
    assert sum(n for _, n in resolved) == deduped
    assert {s for s, _ in resolved} >= {"auto", "human", "needs_review"}
    pending = dict(resolved)["needs_review"]
    assert _count(con, "SELECT count(*) FROM review_tasks") == pending
    summary = json.loads((root / "labeled_dataset" / "summary.json").read_text())
    candidate = _count(con, "SELECT count(*) FROM labeled_dataset")
    assert (
        candidate + summary["pending_review"] + summary["balanced_away"] + summary["dedup"]["global_pass_removed"]
        == deduped
    )
    # the failed-records table explains what went wrong, never silently
    reasons = {r[0] for r in con.execute("SELECT reason FROM failed_records").fetchall()}
    assert any("http 500" in r for r in reasons) and any("rating 7 is outside" in r for r in reasons)


def test_training_data_v1_view_answers_and_matches_manifest(demo):
    root = demo["root"]
    con = duckdb.connect(str(root / "catalog.duckdb"), read_only=True)
    rows = _count(con, "SELECT count(*) FROM training_data_v1")
    manifest = json.loads((root / "training_data" / "v1" / "manifest.json").read_text())
    assert rows == manifest["rows"] > 20
    splits = dict(con.execute("SELECT split, count(*) FROM training_data_v1 GROUP BY 1").fetchall())
    assert set(splits) == {"train", "validation", "test"}
    assert _count(con, "SELECT count(*) FROM training_data_v1 WHERE label_status = 'needs_review'") == 0
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((root / "training_data" / "v1" / name).read_bytes()).hexdigest() == digest
    assert (root / "training_data" / "v1" / "README.md").read_text().startswith("# training_data_v1")


def _partition_bytes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.glob("*/source=*/date=*/*.parquet"))
    }


def test_rerun_gives_same_bytes_and_no_new_version(demo):
    root = demo["root"]
    before = _partition_bytes(root)
    run_cli(["ingest", "--source", "acme", "--date", "2026-11-20"], demo["env"])
    run_cli(["publish"], demo["env"])
    assert _partition_bytes(root) == before
    assert not (root / "training_data" / "v2").exists()
    listing = run_cli(["versions"], demo["env"]).stdout
    assert '"version": "training_data_v1"' in listing and "training_data_v2" not in listing


def test_a_backfilled_day_of_the_same_site_adds_nothing_to_the_dataset(demo):
    """Re-scraping the same reviews on other days (a backfill) repeats their record ids in new partitions:
    the candidate keeps each record once, with the label its own partition resolved, so nothing changes."""
    from gleaner.demo_site import DemoSiteServer

    root, env = demo["root"], demo["env"]
    port = int(env["GLEANER_DEMO_URL"].rsplit(":", 1)[1])
    with DemoSiteServer(host="127.0.0.1", port=port):
        run_cli(["backfill", "--crawl", "--source", "acme", "--from", "2026-11-18", "--to", "2026-11-19"], env)
    run_cli(["publish"], env)
    con = duckdb.connect()

    def backfilled(asset: str) -> list[str]:
        days = ("2026-11-18", "2026-11-19")
        return [str(root / asset / "source=acme" / f"date={day}" / "part-0.parquet") for day in days]

    kept = con.execute("SELECT count(*) FROM read_parquet(?)", [backfilled("deduped_records")]).fetchone()[0]
    canonical = con.execute("SELECT count(*) FROM read_parquet(?)", [backfilled("canonical_records")]).fetchone()[0]
    removed = con.execute("SELECT kind, count(*) FROM read_parquet(?) GROUP BY 1", [backfilled("near_duplicates")])
    kinds = dict(removed.fetchall())
    assert kept == 0 and canonical > 0 and kinds.get("rescrape") and sum(kinds.values()) == canonical, kinds
    candidate = str(root / "labeled_dataset" / "*.parquet")
    counts = f"SELECT count(*), count(DISTINCT record_id) FROM read_parquet('{candidate}')"
    rows, distinct = con.execute(counts).fetchone()
    assert rows == distinct
    assert not (root / "training_data" / "v2").exists()  # same records, same labels: same content as v1
