"""Bad input and faults against a local server: each page ends stored or failed with its reason, the crawl
finishes, nothing outside the allowed domains is requested, and no browser process outlives the crawl."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fakes.browser_procs import assert_no_browser_left, chromium_browser_processes, marked_browsers
from parsel import Selector

from gleaner.crawl.crawler import CrawlStats, FetchedPage, crawl
from gleaner.sources import SourceConfig

BIG = 10_000_000
WAIT_FOR = "#content[data-loaded], body:not(:has(#content))"
RENDER_JS = """<div id="content">loading</div><script>
fetch("{api}").then(r => r.json()).then(d => {{
  document.getElementById("content").textContent = d.text;
  document.getElementById("content").setAttribute("data-loaded", "1");
}});
</script>"""


def html(body: str, head: str = "") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


class Site:
    """A tiny server whose pages misbehave on purpose; ``hits`` and ``release`` are for the test."""

    def __init__(self, routes: Callable[[Site, str], tuple[int, dict[str, str], bytes] | None]) -> None:
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.release = threading.Event()  # lets hanging handlers finish at teardown
        self.on_hit: Callable[[str, int], None] | None = None
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                path = self.path
                with site.lock:
                    site.hits[path] += 1
                    count = site.hits[path]
                if site.on_hit is not None:
                    site.on_hit(path, count)
                if path == "/hang":
                    site.release.wait(30)
                    return
                if path == "/trickle":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    while not site.release.wait(0.2):
                        self.wfile.write(b"<p>")
                        self.wfile.flush()
                    return
                status, headers, body = routes(site, path) or (404, {"Content-Type": "text/html"}, b"nope")
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def fault_routes(outside: str) -> Callable[[Site, str], tuple[int, dict[str, str], bytes] | None]:
    text_html = {"Content-Type": "text/html; charset=utf-8"}
    big = b"<!DOCTYPE html><html><body>" + b"<p>filler</p>" * ((BIG - 40) // 13)
    big += b" " * (BIG - len(big) - 14) + b"</body></html>"
    pages = {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n"),
        "/": (200, text_html, html("".join(
            f'<a href="{path}">{path}</a>'
            for path in ("/hang", "/trickle", "/busy", "/broken", "/loop-a", "/away", "/report.pdf",
                         "/data.json", "/big", "/mojibake", "/widgets", "/stalled", f"{outside}/linked-away")
        ))),
        "/broken": (500, text_html, html("<h1>Internal Server Error</h1>")),
        "/loop-a": (302, {"Location": "/loop-b"}, b""),
        "/loop-b": (302, {"Location": "/loop-a"}, b""),
        "/away": (302, {"Location": f"{outside}/stolen"}, b""),
        "/report.pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4\n" + b"\0" * 2000),
        "/data.json": (200, {"Content-Type": "application/json"}, b'{"not": "a page"}'),
        "/big": (200, text_html, big),
        "/mojibake": (200, text_html, b"<!DOCTYPE html><html><body><p>caf\xe9 \xff\xfe na\xc3\x28ve</p></body></html>"),
        "/widgets": (200, text_html, html(
            RENDER_JS.format(api="/api/widgets")
            + f'<img src="/logo.png"><img src="{outside}/pixel.png"><script>fetch("{outside}/beacon")</script>',
            head=f'<script src="{outside}/tracker.js"></script><link rel="stylesheet" href="{outside}/x.css">',
        )),
        "/api/widgets": (200, {"Content-Type": "application/json"}, b'{"text": "rendered widgets"}'),
        "/stalled": (200, text_html, html(RENDER_JS.format(api="/hang"))),
        "/logo.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n"),
    }  # fmt: skip

    def route(site: Site, path: str) -> tuple[int, dict[str, str], bytes] | None:
        if path == "/busy":
            if site.hits[path] == 1:
                return 429, {"Retry-After": "1", "Content-Type": "text/plain"}, b"slow down"
            return 200, text_html, html("<p>served on the second try</p>")
        return pages.get(path)

    return route


def source_for(site: Site, render: str, **overrides: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": "faults",
            "start_urls": [site.url + "/"],
            "allowed_domains": [site.url.removeprefix("http://")],  # host:port: the other port is outside
            "render": render,
            "wait_for": WAIT_FOR,
            "timeout_sec": 1.5,
            "max_retries": 1,
            "rate_limit_per_sec": 100,
            "concurrency": 4,
            **overrides,
        }
    )


def run(source: SourceConfig) -> tuple[dict[str, FetchedPage], CrawlStats]:
    stats = CrawlStats()
    pages = {p.requested_url.split("/", 3)[3]: p for p in crawl(source, stats=stats, backoff_base=0.05)}
    return pages, stats


@pytest.fixture(scope="module")
def outside() -> Iterator[Site]:
    with Site(lambda site, path: (200, {"Content-Type": "text/html"}, html("outside"))) as running:
        yield running


@pytest.fixture(scope="module")
def faults(outside: Site) -> Iterator[Site]:
    with Site(fault_routes(outside.url)) as running:
        yield running


@pytest.fixture(scope="module")
def browser_run(faults: Site, outside: Site) -> tuple[dict[str, FetchedPage], CrawlStats, Counter[str]]:
    faults.hits.clear()
    with marked_browsers():
        pages, stats = run(source_for(faults, "browser"))
        assert_no_browser_left()
    return pages, stats, Counter(faults.hits)


@pytest.fixture(scope="module")
def http_run(faults: Site, browser_run: object) -> tuple[dict[str, FetchedPage], CrawlStats]:
    faults.hits.clear()
    return run(source_for(faults, "http", max_body_bytes=16_000_000))


def outcome(page: FetchedPage) -> str:
    return "stored" if page.ok else f"failed: {page.error}"


@pytest.mark.parametrize("mode", ["browser", "http"])
def test_every_fault_ends_stored_or_failed_with_its_reason(mode: str, browser_run, http_run, faults: Site) -> None:
    pages, stats = (browser_run[0], browser_run[1]) if mode == "browser" else http_run
    expected = {
        "": "stored",
        "hang": "failed: timeout",
        "trickle": "failed: timeout",
        "busy": "stored",
        "broken": "failed: http 500",
        "loop-a": f"failed: redirect loop via {faults.url}/loop-a",
        "away": f"failed: redirected out of scope to {faults.url.rsplit(':', 1)[0]}:",
        "report.pdf": "stored",
        "data.json": "stored",
        "big": "failed: body larger than 8000000 bytes" if mode == "browser" else "stored",
        "mojibake": "stored",
        "widgets": "stored",
        "stalled": "stored",
    }
    got = {path: outcome(page) for path, page in pages.items()}
    assert got.keys() == expected.keys()
    for path, want in expected.items():
        assert got[path].startswith(want), (path, got[path])
    assert stats.pages_yielded == len(expected) and stats.pages_failed == 5 + (mode == "browser")


@pytest.mark.parametrize("mode", ["browser", "http"])
def test_what_each_fault_leaves_behind(mode: str, browser_run, http_run) -> None:
    pages = browser_run[0] if mode == "browser" else http_run[0]
    for path in ("hang", "trickle"):
        assert pages[path].notes == ("attempt 1: timeout; retried after 0.05s", "attempt 2: timeout; gave up")
        assert pages[path].html is None
    assert pages["busy"].notes == ("attempt 1: http 429; retried after 1s",)
    assert pages["broken"].notes[-1] == "attempt 2: http 500; gave up" and pages["broken"].status == 500
    for path, kind in (("report.pdf", "application/pdf"), ("data.json", "application/json")):
        assert pages[path].html is None and pages[path].notes == (f"non-HTML content ({kind}) not kept",)
    assert "\ufffd" in pages["mojibake"].html and "caf" in pages["mojibake"].html
    if mode == "http":
        assert len(pages["big"].html) == BIG and pages["big"].renderer == "http"
        assert any("replaced while decoding as utf-8" in note for note in pages["mojibake"].notes)
    else:
        assert pages["big"].html is None and pages["big"].status == 200
        assert Selector(text=pages["widgets"].html).css("#content::text").get() == "rendered widgets"
        assert pages["widgets"].renderer == "browser"
        assert "rendered" not in pages["stalled"].html
        assert any("not matched within 1.5s" in note for note in pages["stalled"].notes)


def test_nothing_outside_the_allowed_domains_is_requested(browser_run, http_run, outside: Site) -> None:
    assert outside.hits == Counter()  # not the link, not the redirect, not the page's scripts, images or beacons


def test_images_are_blocked_unless_the_source_needs_them(faults: Site, browser_run) -> None:
    hits = browser_run[2]
    assert hits["/api/widgets"] == 1 and hits["/logo.png"] == 0
    faults.hits.clear()
    source = source_for(faults, "browser", start_urls=[faults.url + "/widgets"], allow_resources=["image"])
    with marked_browsers():
        (page,) = crawl(source)
    assert page.ok and faults.hits["/logo.png"] == 1


def test_a_chromium_killed_mid_crawl_is_relaunched_and_the_page_retried(faults: Site) -> None:
    """The render in flight when Chromium dies fails as transient; the retry relaunches and stores the page."""
    killed: list[int] = []

    def kill_browser_on_first_api_call(path: str, count: int) -> None:
        if path == "/api/widgets" and count == 1:
            for pid in chromium_browser_processes():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            time.sleep(0.5)  # the response would otherwise race the kill

    faults.hits.clear()
    faults.on_hit = kill_browser_on_first_api_call
    source = source_for(
        faults, "browser", start_urls=[faults.url + p for p in ("/widgets", "/mojibake", "/busy")], max_retries=2
    )
    try:
        with marked_browsers():
            pages, stats = run(source)
            assert_no_browser_left()
    finally:
        faults.on_hit = None
    assert len(killed) == 1  # the browser process; its renderers die with it
    widgets = pages["widgets"]
    assert widgets.ok and Selector(text=widgets.html).css("#content::text").get() == "rendered widgets"
    assert widgets.notes[0].startswith("attempt 1: browser crashed") or widgets.notes[0].startswith(
        "attempt 1: page crashed"
    )
    assert pages["mojibake"].ok and pages["busy"].ok
    assert stats.browser_crashes == 1 and stats.browser_launches == 2
