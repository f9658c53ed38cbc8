"""`gleaner` leaves without tearing the interpreter down (`dagster_project.cli.run`): what it printed still
arrives whole, its files are written, a failure still exits with its one line, and a profiler still gets
to write its file."""

import os
import pstats
import subprocess
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]
GLEANER = Path(sys.executable).parent / "gleaner"
PAGE = """<html lang="en"><head><script type="application/ld+json">{"@context": "https://schema.org",
"@type": "Product", "name": "Kettle", "productID": "k1", "review": [%s]}</script></head><body></body></html>"""
REVIEW = '{"@type": "Review", "@id": "r%d", "reviewBody": "Boils fast, review %d.", "reviewRating": {"ratingValue": 4}}'


def _page(tmp_path: Path, reviews: int) -> Path:
    page = tmp_path / "page.html"
    page.write_text(PAGE % ", ".join(REVIEW % (n, n) for n in range(reviews)), encoding="utf-8")
    return page


def _extract(tmp_path: Path, *prefix: str, source: str = "schema_org_reviews") -> subprocess.CompletedProcess:
    command = [
        *prefix,
        str(GLEANER),
        "extract",
        "--source",
        source,
        str(_page(tmp_path, 40)),
        "--out",
        str(tmp_path / "out"),
    ]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # a pipe's output is buffered
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_output_and_files_arrive_whole(tmp_path):
    result = _extract(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "pages: 1 in = 1 yielded + 0 with no records + 0 failed" in result.stdout  # printed, then flushed
    assert pl.read_parquet(tmp_path / "out" / "canonical_records.parquet").height == 40


def test_a_failure_still_exits_with_its_line(tmp_path):
    result = _extract(tmp_path, source="no_such_extractor")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("gleaner")


def test_a_profiler_still_writes_its_file(tmp_path):
    profile = tmp_path / "extract.prof"
    result = _extract(tmp_path, sys.executable, "-m", "cProfile", "-o", str(profile))
    assert result.returncode == 0, result.stderr
    assert pstats.Stats(str(profile)).total_calls > 0
