"""The plain-HTTP document fetcher: cookies a site sets are sent back for the rest of the crawl."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gleaner.crawl.fetchers import HttpFetcher

PAGE = b"<!DOCTYPE html><html><body><p>ok</p></body></html>"


class CookieWall(BaseHTTPRequestHandler):
    """`/consent` sets a cookie; `/reviews` answers 403 without it, as consent walls do."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(PAGE))}
        if self.path == "/consent":
            status, headers["Set-Cookie"] = 200, "consent=yes; Path=/"
        else:
            status = 200 if "consent=yes" in (self.headers.get("Cookie") or "") else 403
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def wall() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CookieWall)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_cookie_set_by_one_page_is_sent_with_the_next(wall: str):
    fetcher = HttpFetcher(timeout=5)
    assert fetcher.fetch(f"{wall}/reviews").status == 403
    assert fetcher.fetch(f"{wall}/consent").status == 200
    assert fetcher.fetch(f"{wall}/reviews").status == 200
    assert [c.name for c in fetcher.cookies] == ["consent"]


def test_each_crawl_starts_without_cookies(wall: str):
    HttpFetcher(timeout=5).fetch(f"{wall}/consent")
    assert HttpFetcher(timeout=5).fetch(f"{wall}/reviews").status == 403
