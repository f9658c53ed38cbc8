"""Building blocks for the hostile corpus: drops with chosen pages, WARC bytes torn in chosen places, and the
real CLI run in a subprocess against an isolated warehouse, returning its exit code and output unasserted."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
from conftest import BIN, ROOT

from gleaner.drops.local import MARKER, WARC_NAME
from gleaner.drops.warc_write import write_drop
from gleaner.pages import FetchedPage

DAY = "2026-11-20"
WHEN = datetime(2026, 11, 20, 10, tzinfo=UTC)
SHOP = "http://shop.example"


def review_page(product: str, reviews: list[tuple[str, str, int]], author: str = "ana") -> str:
    """A product page in the demo shops' markup (what the acme selectors read): (id, text, rating) each."""
    items = "".join(
        f'<article class="review" data-review-id="{rid}"><p class="review-text">{text}</p>'
        f'<span class="rating" data-rating="{rating}"></span><span class="author">{author}</span>'
        f'<time datetime="2026-11-01"></time></article>'
        for rid, text, rating in reviews
    )
    return (
        f'<html><head><title>{product}</title></head><body><h1 class="product-name" data-product-id="{product}">'
        f"{product}</h1><section id='reviews' data-loaded='1'>{items}</section></body></html>"
    )


def page(url: str, html: str | None = None, status: int | None = 200, error: str | None = None, **kw) -> FetchedPage:
    return FetchedPage(url, url, url, status, WHEN, "text/html; charset=utf-8" if html else None, html, error, **kw)


def good_pages(n: int, reviews_per_page: int = 2, prefix: str = "p") -> list[FetchedPage]:
    texts = ("great sturdy kettle, boils fast and pours clean", "awful, broke in a week and the lid leaks")
    return [
        page(
            f"{SHOP}/acme/product/{prefix}{i}",
            review_page(
                f"{prefix}{i}",
                [
                    (f"{prefix}{i}r{j}", f"{texts[j % 2]} number {i} {j} {prefix}", 5 - 4 * (j % 2))
                    for j in range(reviews_per_page)
                ],
            ),
        )
        for i in range(n)
    ]


def make_drop(drops: Path, drop_id: str, pages: list[FetchedPage], source: str = "acme", day: str = DAY) -> Path:
    return write_drop(drops, source, day, drop_id, pages)


def rewrite_warc(drop: Path, data: bytes, keep_sha: bool = True) -> None:
    """Replace a drop's WARC bytes (after its marker): the marker's sha256 is kept (so it no longer matches)
    or dropped (a foreign tool that writes none)."""
    marker = json.loads((drop / MARKER).read_text())
    if not keep_sha:
        marker.pop("sha256", None)
    (drop / WARC_NAME).write_bytes(data)
    (drop / MARKER).write_text(json.dumps(marker))


def gleaner(args: list[str], env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    """The real CLI; nothing asserted, so a test can check the exit code and the exact message."""
    return subprocess.run(
        [str(BIN / "gleaner"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


REVIEWS = "review_sentiment"  # the dataset the hostile review pages feed
DATASETS = (REVIEWS, "product_entities")  # the built-in datasets: every ingest builds both


def partition_table(
    root: Path, asset: str, source: str = "acme", day: str = DAY, dataset: str = REVIEWS
) -> pl.DataFrame:
    """One partition of an asset's table: `raw_pages` is shared, every other table is the dataset's own."""
    folder = root / "warehouse" / (asset if asset == "raw_pages" else f"{dataset}/{asset}")
    return pl.read_parquet(folder / f"source={source}" / f"date={day}" / "part-0.parquet")


def failed_rows(root: Path, source: str = "acme", day: str = DAY, dataset: str = REVIEWS) -> list[tuple[str, str]]:
    frame = partition_table(root, "failed_records", source, day, dataset)
    return sorted(zip(frame["stage"].to_list(), frame["reason"].to_list(), strict=True))


def count_rows(path: Path | str) -> int:
    return duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0]


def one_line(result: subprocess.CompletedProcess) -> str:
    """The user-facing error: stderr must be exactly one line, and no traceback anywhere."""
    assert "Traceback" not in result.stdout + result.stderr, result.stdout[-3000:] + result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]
