from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from gleaner.crawl.crawler import crawl
from gleaner.demo_site import DemoSiteServer, build_site
from gleaner.drops.local import (
    MARKER,
    WARC_NAME,
    DropExistsError,
    DropIncompleteError,
    DropIntegrityError,
    DropPathError,
    DropRef,
    drop_path,
    list_complete_drops,
    make_drop_id,
    read_marker,
)
from gleaner.drops.warc_read import read_drop
from gleaner.drops.warc_write import write_drop
from gleaner.pages import FetchedPage
from gleaner.sources import SourceConfig

WHEN = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)


def page(url: str = "http://shop.example/a", **overrides: object) -> FetchedPage:
    fields = {
        "requested_url": url,
        "final_url": url,
        "canonical_url": url,
        "status": 200,
        "fetched_at": WHEN,
        "content_type": "text/html; charset=utf-8",
        "html": "<html><body>café</body></html>",
    }
    return FetchedPage(**{**fields, **overrides})


@pytest.fixture(scope="module")
def crawled_pages() -> list[FetchedPage]:
    """A real browser crawl of the globex shop: rendered reviews, a 404, a retried 503, windows-1252."""
    with DemoSiteServer(build_site()) as server:
        source = SourceConfig(
            name="globex",
            start_urls=[server.url("/globex/")],
            allowed_domains=["127.0.0.1"],
            include=[r"/globex(/|$)"],
            wait_for="#reviews[data-loaded], body:not(:has(#reviews))",
            rate_limit_per_sec=20,
        )
        return list(crawl(source))


def test_crawl_write_read_round_trip(tmp_path: Path, crawled_pages: list[FetchedPage]) -> None:
    extra = [
        page("http://shop.example/timeout", status=None, content_type=None, html=None, error="timeout",
             notes=("attempt 1: timeout; retried after 0.5s", "attempt 2: timeout; gave up")),
        page("http://shop.example/manual.pdf", content_type="application/pdf", html=None,
             notes=("non-HTML content (application/pdf) not kept",)),
        page("http://shop.example/empty", html=""),
        page("http://shop.example/untyped", content_type=None),
        page("http://shop.example/teapot", status=418, error="http 418", html="<p>short and stout</p>"),
        page("http://shop.example/moved", final_url="http://shop.example/moved-here",
             canonical_url="http://shop.example/moved-here", notes=("http 301 redirect to …/moved-here",)),
    ]  # fmt: skip
    pages = crawled_pages + extra
    assert any(p.error == "http 404" for p in pages) and any(p.notes for p in crawled_pages)
    path = write_drop(tmp_path, "globex", "2026-11-20", "d1", iter(pages))

    assert path == tmp_path.resolve() / "globex" / "2026-11-20" / "d1"
    assert sorted(p.name for p in path.iterdir()) == [MARKER, WARC_NAME]
    back = list(read_drop(path))
    assert back == pages

    marker = read_marker(path)
    assert marker["page_count"] == len(pages)
    assert marker["record_count"] == 1 + len(pages) + sum(p.error is not None for p in pages) - 1  # warcinfo
    assert marker["sha256"] == hashlib.sha256((path / WARC_NAME).read_bytes()).hexdigest()
    assert datetime.fromisoformat(marker["written_at"]).tzinfo is not None

    cp1252 = next(p for p in back if p.canonical_url.endswith("/globex/product/p05"))
    assert "naïve" in cp1252.html and "€149" in cp1252.html
    assert cp1252.content_type == "text/html; charset=windows-1252"  # as served, though stored as UTF-8


def test_complete_drops_are_listed_sorted_and_filtered(tmp_path: Path) -> None:
    write_drop(tmp_path, "globex", date(2026, 11, 21), "b", [page()])
    write_drop(tmp_path, "acme", "2026-11-20", "z", [page()])
    write_drop(tmp_path, "acme", "2026-11-20", "a", [])
    refs = list_complete_drops(tmp_path)
    assert [(r.source, r.date, r.drop_id) for r in refs] == [
        ("acme", "2026-11-20", "a"),
        ("acme", "2026-11-20", "z"),
        ("globex", "2026-11-21", "b"),
    ]
    assert [r.drop_id for r in list_complete_drops(tmp_path, source="acme")] == ["a", "z"]
    assert [r.drop_id for r in list_complete_drops(tmp_path, date="2026-11-21")] == ["b"]
    assert list(read_drop(refs[0])) == []
    assert list_complete_drops(tmp_path / "missing") == []


def test_incomplete_drops_are_ignored_and_refused(tmp_path: Path) -> None:
    done = write_drop(tmp_path, "acme", "2026-11-20", "done", [page()])
    unmarked = write_drop(tmp_path, "acme", "2026-11-20", "unmarked", [page()])
    (unmarked / MARKER).unlink()
    in_progress = tmp_path / "acme" / "2026-11-20" / "in-progress"
    in_progress.mkdir()
    (in_progress / "pages.warc.gz").write_bytes(b"partial")
    assert [r.path for r in list_complete_drops(tmp_path)] == [done]
    with pytest.raises(DropIncompleteError, match="no _COMPLETE marker"):
        list(read_drop(unmarked))


def test_a_crawl_that_dies_leaves_no_drop_and_can_be_rewritten(tmp_path: Path) -> None:
    def dying() -> Iterator[FetchedPage]:
        yield page()
        raise RuntimeError("browser crashed")

    with pytest.raises(RuntimeError, match="browser crashed"):
        write_drop(tmp_path, "acme", "2026-11-20", "d1", dying())
    drop_dir = tmp_path / "acme" / "2026-11-20" / "d1"
    assert list(drop_dir.iterdir()) == [] and list_complete_drops(tmp_path) == []
    write_drop(tmp_path, "acme", "2026-11-20", "d1", [page()])
    assert len(list_complete_drops(tmp_path)) == 1


def test_complete_drops_are_immutable(tmp_path: Path) -> None:
    write_drop(tmp_path, "acme", "2026-11-20", "d1", [page()])
    with pytest.raises(DropExistsError):
        write_drop(tmp_path, "acme", "2026-11-20", "d1", [page()])


def test_corrupted_drop_is_refused_unless_salvaging(tmp_path: Path) -> None:
    path = write_drop(tmp_path, "acme", "2026-11-20", "d1", [page()])
    marker = json.loads((path / MARKER).read_text())
    marker["sha256"] = "0" * 64
    (path / MARKER).write_text(json.dumps(marker))
    with pytest.raises(DropIntegrityError, match="does not match"):
        list(read_drop(path))
    assert list(read_drop(path, verify=False)) == [page()]


@pytest.mark.parametrize(
    ("source", "day", "drop_id"),
    [
        ("../acme", "2026-11-20", "d1"),
        ("/etc", "2026-11-20", "d1"),
        ("acme/x", "2026-11-20", "d1"),
        ("..", "2026-11-20", "d1"),
        ("Acme", "2026-11-20", "d1"),
        ("acme", "../2026-11-20", "d1"),
        ("acme", "2026-13-01", "d1"),
        ("acme", "20261120", "d1"),
        ("acme", "2026-11-20", ".."),
        ("acme", "2026-11-20", "../../../etc"),
        ("acme", "2026-11-20", "/tmp/evil"),
        ("acme", "2026-11-20", ".hidden"),
        ("acme", "2026-11-20", "a/b"),
        ("acme", "2026-11-20", ""),
    ],
)
def test_names_that_escape_the_root_are_refused(tmp_path: Path, source: str, day: str, drop_id: str) -> None:
    with pytest.raises(DropPathError, match="not allowed in a drop path|not YYYY-MM-DD|not a real date"):
        write_drop(tmp_path / "root", source, day, drop_id, [page()])
    assert not (tmp_path / "root").exists() or not any((tmp_path / "root").rglob(MARKER))


def test_symlinks_out_of_the_root_are_refused(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    write_drop(outside, "acme", "2026-11-20", "d1", [page()])
    root.mkdir()
    (root / "acme").symlink_to(outside / "acme", target_is_directory=True)
    with pytest.raises(DropPathError, match="outside the drop root"):
        list_complete_drops(root)
    with pytest.raises(DropPathError, match="outside the drop root"):
        write_drop(root, "acme", "2026-11-20", "d2", [page()])
    with pytest.raises(DropPathError, match="outside the drop root"):
        drop_path(root, "acme", "2026-11-20", "d1")

    other = tmp_path / "root2"
    inside = write_drop(other, "globex", "2026-11-20", "d1", [page()])
    (inside / WARC_NAME).unlink()
    (inside / WARC_NAME).symlink_to(outside / "acme" / "2026-11-20" / "d1" / WARC_NAME)
    with pytest.raises(DropPathError, match="outside"):
        list(read_drop(inside, verify=False))


def test_make_drop_id_is_sortable_and_valid(tmp_path: Path) -> None:
    first = make_drop_id(datetime(2026, 11, 20, 10, 15, tzinfo=UTC))
    assert first.startswith("20261120T101500Z-")
    assert drop_path(tmp_path, "acme", "2026-11-20", first).name == first


# ------------------------------------------------------------------------------ drops from other tools


def _record(warc_type: str, headers: dict[str, str], block: bytes) -> bytes:
    lines = ["WARC/1.0", f"WARC-Type: {warc_type}", *(f"{k}: {v}" for k, v in headers.items())]
    lines.append(f"Content-Length: {len(block)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def _http(status_line: str, headers: dict[str, str], body: bytes) -> bytes:
    head = "\r\n".join([status_line, *(f"{k}: {v}" for k, v in headers.items())]) + "\r\n\r\n"
    return head.encode("latin-1") + body


def _chunked(data: bytes) -> bytes:
    half = len(data) // 2
    return b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in (data[:half], data[half:])) + b"0\r\n\r\n"


def _foreign_records() -> list[bytes]:
    resp = "application/http; msgtype=response"
    cp1252_body = "<html><body><p>Un café naïve à €5</p></body></html>".encode("cp1252")
    meta_body = '<html><head><meta charset="iso-8859-1"></head><body>crème brûlée</body></html>'.encode("latin-1")
    gz = zlib.compressobj(wbits=31)
    gzipped = gz.compress(b"<html><body>compressed and chunked</body></html>") + gz.flush()
    return [
        _record("warcinfo", {"WARC-Date": "2026-11-20T08:00:00Z", "Content-Type": "application/warc-fields"},
                b"software: other-scraper/2.1\r\n"),
        _record("request", {"WARC-Target-URI": "http://shop.example/cp1252", "WARC-Date": "2026-11-20T08:00:01Z",
                            "Content-Type": "application/http; msgtype=request"},
                b"GET /cp1252 HTTP/1.1\r\nHost: shop.example\r\n\r\n"),
        _record("response", {"WARC-Target-URI": "http://shop.example/cp1252", "WARC-Date": "2026-11-20T08:00:01Z",
                             "Content-Type": resp},
                _http("HTTP/1.1 200 OK", {"Content-Type": "text/html; charset=windows-1252"}, cp1252_body)),
        _record("response", {"WARC-Target-URI": "http://shop.example/meta", "WARC-Date": "2026-11-20T08:00:02Z",
                             "Content-Type": resp},
                _http("HTTP/2 200", {"content-type": "text/html"}, meta_body)),
        _record("response", {"WARC-Target-URI": "http://shop.example/nocharset", "WARC-Date": "2026-11-20T08:00:03Z",
                             "Content-Type": resp},
                _http("HTTP/1.1 200 OK", {}, b"<html><body>bad \xff byte</body></html>")),
        _record("response", {"WARC-Target-URI": "<http://shop.example/noheaders>",
                             "WARC-Date": "2026-11-20T08:00:04Z"},
                b"<!DOCTYPE html><html><body>no http headers</body></html>"),
        _record("response", {"WARC-Target-URI": "http://shop.example/nodate", "Content-Type": resp},
                _http("HTTP/1.1 404 Not Found", {"Content-Type": "text/html; charset=utf-8"}, b"<p>gone</p>")),
        _record("resource", {"WARC-Target-URI": "http://shop.example/resource", "WARC-Date": "2026-11-20T08:00:05Z",
                             "Content-Type": "text/html; charset=utf-8"},
                "<html><body>résumé</body></html>".encode()),
        _record("response", {"WARC-Target-URI": "http://shop.example/chunked", "WARC-Date": "2026-11-20T08:00:06Z",
                             "Content-Type": resp},
                _http("HTTP/1.1 200 OK", {"Content-Type": "text/html; charset=utf-8", "Transfer-Encoding": "chunked",
                                          "Content-Encoding": "gzip"}, _chunked(gzipped))),
        _record("response", {"WARC-Target-URI": "http://shop.example/logo.png", "WARC-Date": "2026-11-20T08:00:07Z",
                             "Content-Type": resp},
                _http("HTTP/1.1 200 OK", {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n")),
        _record("response", {"WARC-Date": "2026-11-20T08:00:08Z", "Content-Type": resp},
                _http("HTTP/1.1 200 OK", {}, b"<html>no target uri</html>")),
        _record("metadata", {"WARC-Target-URI": "http://shop.example/cp1252", "WARC-Date": "2026-11-20T08:00:09Z",
                             "Content-Type": "application/warc-fields"}, b"outlink: http://shop.example/x\r\n"),
        _record("revisit", {"WARC-Target-URI": "http://shop.example/cp1252", "WARC-Date": "2026-11-20T08:00:10Z",
                            "WARC-Profile": "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"}, b""),
    ]  # fmt: skip


@pytest.mark.parametrize("compressed", [False, True])
def test_drops_from_other_tools(tmp_path: Path, compressed: bool) -> None:
    records = _foreign_records()
    name = "pages.warc.gz" if compressed else "pages.warc"
    data = b"".join(gzip.compress(r) for r in records) if compressed else b"".join(records)
    drop_dir = tmp_path / "shop" / "2026-11-20" / "vendor-0001"
    drop_dir.mkdir(parents=True)
    (drop_dir / name).write_bytes(data)
    assert list_complete_drops(tmp_path) == []  # no marker yet: still being delivered
    marker = {"sha256": hashlib.sha256(data).hexdigest(), "record_count": len(records),
              "written_at": "2026-11-20T08:30:00+00:00"}  # fmt: skip
    if compressed:
        marker["warc_file"] = name
    (drop_dir / MARKER).write_text(json.dumps(marker))
    (ref,) = list_complete_drops(tmp_path)
    assert ref == DropRef("shop", "2026-11-20", "vendor-0001", drop_dir.resolve())

    pages = {p.final_url.rsplit("/", 1)[1]: p for p in read_drop(ref)}
    assert list(pages) == ["cp1252", "meta", "nocharset", "noheaders", "nodate", "resource", "chunked", "logo.png"]

    cp = pages["cp1252"]
    assert cp.html == "<html><body><p>Un café naïve à €5</p></body></html>" and cp.notes == ()
    assert cp.status == 200 and cp.content_type == "text/html; charset=windows-1252"
    assert cp.fetched_at == datetime(2026, 11, 20, 8, 0, 1, tzinfo=UTC) and cp.requested_url == cp.final_url

    assert "crème brûlée" in pages["meta"].html and pages["meta"].status == 200
    assert pages["meta"].notes == ("charset cp1252 taken from <meta>",)

    assert "bad \ufffd byte" in pages["nocharset"].html
    assert "decoded as utf-8" in pages["nocharset"].notes[0] and "replaced" in pages["nocharset"].notes[0]

    noheaders = pages["noheaders"]
    assert noheaders.status is None and "no http headers" in noheaders.html
    assert noheaders.notes == (
        "response record without HTTP headers; status unknown",
        "no usable charset declared; decoded as utf-8",
    )

    assert pages["nodate"].status == 404 and pages["nodate"].error is None
    assert pages["nodate"].fetched_at == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert pages["nodate"].notes == ("record has no usable WARC-Date; used the drop's time",)

    assert pages["resource"].status is None and "résumé" in pages["resource"].html
    assert pages["chunked"].html == "<html><body>compressed and chunked</body></html>"
    assert pages["logo.png"].html is None and pages["logo.png"].content_type == "image/png"
    assert pages["logo.png"].notes == ("non-HTML content (image/png) not kept",)
