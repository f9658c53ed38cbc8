"""The crawl's checkpoint spool, and why a drop written from it has the same bytes whatever the crawl order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gleaner.crawl.spool import SPOOL_FILE, Spool
from gleaner.drops.local import WARC_NAME
from gleaner.drops.warc_read import read_drop
from gleaner.drops.warc_write import write_drop
from gleaner.pages import FetchedPage

WHEN = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def pages() -> list[FetchedPage]:
    def page(path: str, **overrides: object) -> FetchedPage:
        url = f"http://shop.example{path}"
        fields = {
            "requested_url": url, "final_url": url, "canonical_url": url, "status": 200,
            "fetched_at": WHEN + timedelta(seconds=len(path)), "content_type": "text/html; charset=utf-8",
            "html": f"<html><body>{path} café</body></html>", "renderer": "browser",
        }  # fmt: skip
        return FetchedPage(**{**fields, **overrides})

    return [
        page("/a"),
        page("/b", renderer="http", notes=("charset cp1252 taken from <meta>",)),
        page("/c", status=None, content_type=None, html=None, renderer=None, error="timeout"),
        page("/d", status=500, error="http 500", renderer="http", notes=("attempt 3: http 500; gave up",)),
        page("/old", final_url="http://shop.example/new", canonical_url="http://shop.example/new"),
        page("/e.pdf", content_type="application/pdf", html=None, renderer=None),
    ]


def spool_of(directory: Path, items: list[FetchedPage]) -> Spool:
    spool = Spool(directory)
    for item in items:
        spool.add(item, (item.requested_url, item.final_url))
    return spool


def test_spool_round_trip_and_reopen(tmp_path: Path) -> None:
    spool = spool_of(tmp_path / "s", pages())
    spool.add(pages()[0], ("ignored",))  # a page is stored once
    spool.close()
    again = Spool(tmp_path / "s")
    assert again.recovered == len(pages()) and list(again) == [p.requested_url for p in pages()]
    for original in pages():
        stored = again.get(original.requested_url)
        assert stored is not None and stored.page == original
    assert again.get("http://shop.example/old").chain == ("http://shop.example/old", "http://shop.example/new")
    assert again.get("http://shop.example/nope") is None


def test_a_line_torn_by_a_kill_is_dropped_and_the_spool_goes_on(tmp_path: Path) -> None:
    spool_of(tmp_path / "s", pages()[:2]).close()
    path = tmp_path / "s" / SPOOL_FILE
    intact = path.stat().st_size
    with path.open("ab") as fh:
        fh.write(b'{"requested_url": "http://shop.example/half", "ht')  # the process died mid-write
    spool = Spool(tmp_path / "s")
    assert spool.recovered == 2 and path.stat().st_size == intact
    spool.add(pages()[2], (pages()[2].requested_url,))
    spool.close()
    assert Spool(tmp_path / "s").recovered == 3


def test_same_pages_in_any_crawl_order_give_the_same_drop_bytes(tmp_path: Path) -> None:
    shuffled = pages()
    random.Random(7).shuffle(shuffled)
    written = []
    for name, order in (("crawl-order", pages()), ("shuffled", shuffled)):
        spool = spool_of(tmp_path / name / "spool", order)
        drop = write_drop(tmp_path / name / "drops", "shop", "2026-11-20", "crawl-001", spool.pages_in_order())
        written.append((drop / WARC_NAME).read_bytes())
    assert written[0] == written[1]
    back = list(read_drop(tmp_path / "shuffled" / "drops" / "shop" / "2026-11-20" / "crawl-001"))
    assert [p.canonical_url for p in back] == sorted(p.canonical_url for p in pages())
    assert {p.requested_url: p.renderer for p in back} == {p.requested_url: p.renderer for p in pages()}
    other_id = write_drop(tmp_path / "o", "shop", "2026-11-20", "crawl-002", spool.pages_in_order())
    assert (other_id / WARC_NAME).read_bytes() != written[0]  # record ids name their drop
