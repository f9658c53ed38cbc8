"""Class 7: a page that takes the browser tab somewhere on its own (meta refresh, script, an auto-submitted form,
outside the allowed domains or not) is a failed fetch with reason `out of scope`; Chromium's error page for the
refused navigation is never stored as the page's content."""

import pytest
from fakes.browser_procs import assert_no_browser_left, marked_browsers

from gleaner.crawl import CrawlStats, crawl
from gleaner.demo_site import DemoPage, DemoSite, DemoSiteServer
from gleaner.sources import SourceConfig

pytestmark = pytest.mark.hostile_slow  # Chromium


def _html(head: str = "", body: str = "") -> DemoPage:
    html = f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"
    return DemoPage(200, "text/html; charset=utf-8", html.encode())


OUT = "http://elsewhere.invalid/landing"
PAGES = {
    "/robots.txt": DemoPage(200, "text/plain", b"User-agent: *\nAllow: /\n"),
    "/s/": _html(body=" ".join(f'<a href="/s/{n}">{n}</a>' for n in ("meta", "script", "form", "late", "fine"))),
    "/s/meta": _html(head=f'<meta http-equiv="refresh" content="0; url={OUT}">', body="<p>moving</p>"),
    "/s/script": _html(body=f"<p>bye</p><script>location.href = {OUT!r};</script>"),
    "/s/form": _html(
        body=f'<form id="f" method="post" action="{OUT}"><input name="q" value="1"></form>'
        "<script>document.getElementById('f').submit();</script>"
    ),
    "/s/late": _html(body="<p>inside</p><script>location.href = '/s/fine?from=late';</script>"),
    "/s/fine": _html(body="<p id='ok'>a real page</p>"),
}


@pytest.fixture(scope="module")
def pages():
    with marked_browsers(), DemoSiteServer(DemoSite(seed=0, pages=PAGES, reviews=[], products=[])) as server:
        source = SourceConfig(
            name="s", start_urls=[server.url("/s/")], allowed_domains=["127.0.0.1"], render="browser",
            include=["/s/"], timeout_sec=5, max_retries=0,
        )  # fmt: skip
        found = {p.requested_url.rsplit("/", 1)[1]: p for p in crawl(source, stats=CrawlStats(), backoff_base=0.01)}
        base = server.url("/s")
    assert_no_browser_left()
    return found, base


@pytest.mark.parametrize("name", ["meta", "script", "form"])
def test_a_navigation_outside_the_allowed_domains_is_a_failed_fetch(pages, name):
    found, _ = pages
    page = found[name]
    assert page.error == f"out of scope: the page navigated outside the allowed domains to {OUT}; not stored"
    assert page.html is None
    assert "chrome-error" not in str(page) and "ERR_BLOCKED_BY_CLIENT" not in str(page)


def test_a_page_navigating_away_inside_the_domains_is_not_stored_as_the_other_page(pages):
    found, base = pages
    assert found["late"].error == (
        f"out of scope: the page navigated away on its own to {base}/fine?from=late; not stored"
    )
    assert found["late"].html is None


def test_an_ordinary_page_is_still_stored(pages):
    found, _ = pages
    assert found["fine"].error is None and "a real page" in found["fine"].html
