"""The whole graph, materialized for real: demo site, Chromium, DuckDB, publish, re-run.

One module-scoped run of `gleaner demo` (the README's first command minus setup) feeds several tests. Both
built-in datasets are built from the same crawl: review_sentiment (three classes over review text) and
product_entities (entity spans over product titles).
"""

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from conftest import isolated_environment, run_cli
from support.graph import BUILT_IN_DATASETS as DATASETS

from dagster_project.lib.datasets import DATASETS as SPECS
from gleaner.datasets import canonical_definition

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    env = isolated_environment(tmp)
    output = run_cli(["demo"], env).stdout
    return {"env": env, "root": tmp / "warehouse", "output": output}


@pytest.fixture(autouse=True)
def _close_catalogs():
    """Read-only catalog connections are closed after each test: one left open by a failed assertion would hold
    the catalog's lock and fail the CLI runs of the tests after it."""
    yield
    while _OPEN:
        _OPEN.pop().close()


_OPEN: list[duckdb.DuckDBPyConnection] = []


def _catalog(root: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(root / "catalog.duckdb"), read_only=True)
    _OPEN.append(con)
    return con


def _count(con, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def _block(out: str, dataset: str) -> str:
    """The summary's block of one dataset: from its `dataset NAME:` line to the next unindented line."""
    start = out.index(f"\ndataset {dataset}:\n")
    lines = out[start + 1 :].splitlines()
    return "\n".join([lines[0], *(line for line in _indented(lines[1:]))])


def _indented(lines: list[str]):
    for line in lines:
        if not line.startswith("  "):
            return
        yield line


def test_demo_publishes_v1_of_both_datasets_and_prints_a_summary(demo):
    out = demo["output"]
    summary = out[out.index("== Gleaner summary ==") :]
    reviews, products = _block(summary, "review_sentiment"), _block(summary, "product_entities")
    for needle in (
        "canonical_records",
        "deduped_records",
        "labels",
        "failures by reason:",
        "duplicates removed (near)",
        "classes (latest version): negative ",
        "agreement",
        "annotation velocity: ",
        "records/hour for everyone (reference 240); per person: human:ana@demo.gleaner ",
        "published: review_sentiment_v1 (81 rows)",  # the three-class demo: 110 deduped, 3 pending, 26 balanced away
    ):
        assert needle in reviews, reviews
    for needle in (
        "canonical_records",
        "failures by reason:",
        "duplicates removed (exact)",
        "spans (latest version): BRAND ",
        "span F1=",
        "annotation velocity: ",
        "published: product_entities_v1 (9 rows)",  # 15 deduped product titles, 6 still pending review
    ):
        assert needle in products, products
    # the labeler says it is off once per dataset and partition (two sources), not once per record
    assert out.count("LLM labeler off") <= 2 * 2, out


def test_counts_reconcile_from_stage_to_stage(demo):
    root = demo["root"]
    con = _catalog(root)
    raw = _count(con, "SELECT count(*) FROM raw_pages")
    yielded = _count(con, "SELECT count(DISTINCT page_url) FROM review_sentiment_canonical_records")
    failed_pages = _count(
        con, "SELECT count(DISTINCT page_url) FROM review_sentiment_failed_records WHERE stage = 'fetch'"
    )
    assert raw > 20 and yielded > 10 and failed_pages >= 1
    canonical = _count(con, "SELECT count(*) FROM review_sentiment_canonical_records")
    deduped = _count(con, "SELECT count(*) FROM review_sentiment_deduped_records")
    removed = _count(con, "SELECT count(*) FROM review_sentiment_near_duplicates")
    assert canonical == deduped + removed
    assert _count(con, "SELECT count(*) FROM review_sentiment_near_duplicates WHERE kind = 'exact'") >= 1
    assert _count(con, "SELECT count(*) FROM review_sentiment_near_duplicates WHERE kind = 'near'") >= 1
    resolved = con.execute(
        "SELECT status, count(*) FROM review_sentiment_labels WHERE annotator_kind = 'resolved' GROUP BY 1"
    ).fetchall()
    assert sum(n for _, n in resolved) == deduped
    assert {s for s, _ in resolved} >= {"auto", "human", "needs_review"}
    pending = dict(resolved)["needs_review"]
    assert _count(con, "SELECT count(*) FROM review_sentiment_review_tasks") == pending
    summary = json.loads((root / "review_sentiment" / "labeled_dataset" / "summary.json").read_text())
    candidate = _count(con, "SELECT count(*) FROM review_sentiment_labeled_dataset")
    assert (
        candidate + summary["pending_review"] + summary["balanced_away"] + summary["dedup"]["global_pass_removed"]
        == deduped
    )
    # the failed-records table explains what went wrong, never silently
    reasons = {r[0] for r in con.execute("SELECT reason FROM review_sentiment_failed_records").fetchall()}
    assert any("http 500" in r for r in reasons) and any("rating 7 is outside" in r for r in reasons)


def test_product_entity_counts_reconcile_from_stage_to_stage(demo):
    """The span dataset reads the same crawl (product pages): every page fetched is a record or a failure,
    dedup removes only what it reports, every kept title is resolved once, and the candidate is what is
    neither pending review nor removed by the global pass."""
    root = demo["root"]
    con = _catalog(root)
    yielded = _count(con, "SELECT count(DISTINCT page_url) FROM product_entities_canonical_records")
    failed_pages = _count(
        con, "SELECT count(DISTINCT page_url) FROM product_entities_failed_records WHERE stage = 'fetch'"
    )
    assert yielded > 10 and failed_pages >= 1
    canonical = _count(con, "SELECT count(*) FROM product_entities_canonical_records")
    deduped = _count(con, "SELECT count(*) FROM product_entities_deduped_records")
    removed = _count(con, "SELECT count(*) FROM product_entities_near_duplicates")
    assert canonical == deduped + removed and removed >= 1
    resolved = con.execute(
        "SELECT status, count(*) FROM product_entities_labels WHERE annotator_kind = 'resolved' GROUP BY 1"
    ).fetchall()
    assert sum(n for _, n in resolved) == deduped
    assert {s for s, _ in resolved} >= {"human", "needs_review"}
    pending = dict(resolved)["needs_review"]
    assert _count(con, "SELECT count(*) FROM product_entities_review_tasks") == pending
    summary = json.loads((root / "product_entities" / "labeled_dataset" / "summary.json").read_text())
    candidate = _count(con, "SELECT count(*) FROM product_entities_labeled_dataset")
    assert summary["task"] == "spans" and summary["pending_review"] == pending
    assert (
        candidate
        + summary["pending_review"]
        + summary["records_without_spans"]
        + summary["dedup"]["global_pass_removed"]
        == deduped
    )


@pytest.mark.parametrize("dataset", ["review_sentiment", "product_entities"])
def test_each_dataset_v1_view_answers_and_matches_manifest(demo, dataset):
    root = demo["root"]
    con = _catalog(root)
    rows = _count(con, f"SELECT count(*) FROM {dataset}_v1")
    folder = root / "training_data" / dataset / "v1"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["name"] == f"{dataset}_v1"
    assert rows == manifest["rows"] > (20 if dataset == "review_sentiment" else 5)
    splits = dict(con.execute(f"SELECT split, count(*) FROM {dataset}_v1 GROUP BY 1").fetchall())
    assert set(splits) == {"train", "validation", "test"}
    assert _count(con, f"SELECT count(*) FROM {dataset}_v1 WHERE label_status = 'needs_review'") == 0
    assert "dataset.json" in manifest["files"]  # the declaration the version was built from
    # the declaration the version was built from, byte for byte what its spec hash covers
    assert (folder / "dataset.json").read_text() == canonical_definition(SPECS[dataset])
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    card = (folder / "README.md").read_text()
    assert card.startswith(f"# {dataset}_v1")
    # the demo's annotators are timed (10 to 30 s a record): the card and manifest report a velocity
    velocity = manifest["annotation_velocity"]
    assert velocity["records_per_hour"] > 0 and len(velocity["per_annotator"]) == 2
    assert f"| all annotators | {velocity['records']} | {velocity['hours']} | {velocity['records_per_hour']} |" in card


def test_training_data_v1_is_still_the_review_sentiment_version(demo):
    """`training_data_vN` (no prefix) has always meant the review sentiment data: kept as an alias view."""
    con = _catalog(demo["root"])
    alias = con.execute("SELECT * FROM training_data_v1 ORDER BY ALL").fetchall()
    assert alias and alias == con.execute("SELECT * FROM review_sentiment_v1 ORDER BY ALL").fetchall()


def _partition_bytes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted([*root.glob("*/source=*/date=*/*.parquet"), *root.glob("*/*/source=*/date=*/*.parquet")])
    }


def test_rerun_gives_same_bytes_and_no_new_version(demo):
    root = demo["root"]
    before = _partition_bytes(root)
    run_cli(["ingest", "--source", "acme", "--date", "2026-11-20"], demo["env"])
    run_cli(["publish"], demo["env"])
    assert _partition_bytes(root) == before
    assert not any((root / "training_data" / dataset / "v2").exists() for dataset in DATASETS)
    listing = [json.loads(line) for line in run_cli(["versions"], demo["env"]).stdout.splitlines() if line.strip()]
    assert [(r["dataset"], r["version"]) for r in listing] == [(d, f"{d}_v1") for d in sorted(DATASETS)]
    for row in listing:  # rows per split for either task (a span version has no classes)
        assert sum(row["per_split"].values()) == row["rows"] > 0, row


def test_a_backfilled_day_of_the_same_site_adds_nothing_to_the_dataset(demo):
    """Re-scraping the same reviews and product pages on other days (a backfill) repeats their record ids in
    new partitions: each candidate keeps each record once, with the label its own partition resolved, so
    nothing changes in either dataset."""
    from gleaner.demo_site import DemoSiteServer

    root, env = demo["root"], demo["env"]
    port = int(env["GLEANER_DEMO_URL"].rsplit(":", 1)[1])
    with DemoSiteServer(host="127.0.0.1", port=port):
        run_cli(["backfill", "--crawl", "--source", "acme", "--from", "2026-11-18", "--to", "2026-11-19"], env)
    run_cli(["publish"], env)
    con = duckdb.connect()

    def backfilled(asset: str, dataset: str) -> list[str]:
        days = ("2026-11-18", "2026-11-19")
        return [str(root / dataset / asset / "source=acme" / f"date={day}" / "part-0.parquet") for day in days]

    def count(sql: str, asset: str, dataset: str) -> list[tuple]:
        return con.execute(sql, [backfilled(asset, dataset)]).fetchall()

    for dataset in DATASETS:  # the reviews and the product titles alike
        [(kept,)] = count("SELECT count(*) FROM read_parquet(?)", "deduped_records", dataset)
        [(canonical,)] = count("SELECT count(*) FROM read_parquet(?)", "canonical_records", dataset)
        kinds = dict(count("SELECT kind, count(*) FROM read_parquet(?) GROUP BY 1", "near_duplicates", dataset))
        assert kept == 0 and canonical > 0 and kinds.get("rescrape") and sum(kinds.values()) == canonical, (
            dataset,
            kinds,
        )
        candidate = str(root / dataset / "labeled_dataset" / "*.parquet")
        counts = f"SELECT count(*), count(DISTINCT record_id) FROM read_parquet('{candidate}')"
        rows, distinct = con.execute(counts).fetchone()
        assert rows == distinct, dataset
        # same records, same labels: same content as v1
        assert not (root / "training_data" / dataset / "v2").exists(), dataset
