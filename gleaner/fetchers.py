"""One request, one result: the two ways a page is fetched (plain HTTP and headless Chromium).

Fetchers know nothing about crawling policy. They never retry, never sleep, never decide what to follow
and never follow redirects: a 3xx comes back as the 3xx, with its Location, so the crawler can put every
hop through robots.txt, scope, dedup and the rate limit exactly like a link. Both modes behave the same
way here so switching a source between ``http`` and ``browser`` changes rendering, not politeness.
"""

from __future__ import annotations

import http.client
import logging
import os
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from gleaner.fetched import decode_html, is_html, media_type
from gleaner.robots import USER_AGENT

MAX_BODY_BYTES = 20_000_000
SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
BLOCKED_RESOURCES = frozenset({"image", "font", "media"})
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
)
# Header carrying a redirect's target once the browser has been kept from following it.
HELD_LOCATION = "x-gleaner-location"
_HOP_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})
# Chromium/Playwright network errors that a later attempt may not hit (the server was busy, not wrong).
_TRANSIENT_NET_ERRORS = (
    "ERR_CONNECTION_REFUSED",
    "ERR_CONNECTION_RESET",
    "ERR_CONNECTION_CLOSED",
    "ERR_EMPTY_RESPONSE",
    "ERR_TIMED_OUT",
    "ERR_NETWORK_CHANGED",
    "ERR_HTTP2_PROTOCOL_ERROR",
    "ECONNREFUSED",
    "ECONNRESET",
    "socket hang up",
)


class BrowserUnavailableError(RuntimeError):
    """No Chromium to launch: neither Playwright's download nor a system package."""


@dataclass
class FetchResult:
    """What one attempt produced. ``error`` is a transport failure; HTTP errors keep their status instead."""

    url: str
    final_url: str
    fetched_at: datetime
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lowercase names
    html: str | None = None
    error: str | None = None
    transient: bool = False  # a transport error worth retrying
    wait_timed_out: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def redirect_location(self) -> str | None:
        """Where a 3xx points, or None for anything that is not a redirect."""
        if self.status is None or not 300 <= self.status < 400:
            return None
        return self.headers.get("location") or self.headers.get(HELD_LOCATION)


def _now() -> datetime:
    return datetime.now(UTC)


def _keep_body(result: FetchResult, body: bytes) -> None:
    if result.redirect_location is not None:
        return  # a redirect's body is boilerplate nobody extracts from
    if is_html(result.content_type, body):
        result.html, note = decode_html(body, result.content_type)
        if note:
            result.notes.append(note)
    else:
        result.notes.append(f"non-HTML content ({media_type(result.content_type) or 'undeclared'}) not kept")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None  # urllib then raises HTTPError carrying the 3xx, which is what the crawler wants


class HttpFetcher:
    """urllib, no JavaScript: the bytes the server sent, decoded by `decode_html`'s rules."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects())

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def fetch(self, url: str) -> FetchResult:
        request = urllib.request.Request(
            url,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                "Accept-Language": "en",
            },
        )
        result = FetchResult(url=url, final_url=url, fetched_at=_now())
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                result.status = response.status
                result.headers = {k.lower(): v for k, v in response.headers.items()}
                body = response.read(MAX_BODY_BYTES + 1)
        except urllib.error.HTTPError as exc:
            with exc:
                result.status = exc.code
                result.headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
                try:
                    body = exc.read(MAX_BODY_BYTES + 1)
                except (OSError, http.client.HTTPException):
                    body = b""
        except TimeoutError:
            result.error, result.transient = "timeout", True
            return result
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                result.error, result.transient = "timeout", True
            else:
                result.error = f"connection error: {exc.reason}"
                result.transient = isinstance(exc.reason, ConnectionError)
            return result
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            result.error, result.transient = f"connection error: {type(exc).__name__}: {exc}", True
            return result
        result.fetched_at = _now()
        if len(body) > MAX_BODY_BYTES:
            result.error = f"body larger than {MAX_BODY_BYTES} bytes"
            return result
        _keep_body(result, body)
        return result


def find_chromium(playwright: Any) -> str | None:
    """Executable to launch: $GLEANER_CHROMIUM, else Playwright's own (None), else a system Chromium."""
    override = os.environ.get("GLEANER_CHROMIUM")
    if override:
        return override
    bundled = playwright.chromium.executable_path
    if bundled and Path(bundled).exists():
        return None
    for candidate in SYSTEM_CHROMIUMS:
        if Path(candidate).exists():
            return candidate
    raise BrowserUnavailableError(
        "no Chromium found: run `playwright install chromium`, install the distribution's chromium, "
        "or point GLEANER_CHROMIUM at an executable"
    )


def host_resolver_rules(allowed_hosts: list[str]) -> str:
    """Resolve only the crawl's own hosts; everything else fails fast instead of stalling offline."""
    rules = ["MAP * ~NOTFOUND", "EXCLUDE localhost", "EXCLUDE 127.0.0.1"]
    for host in sorted(set(allowed_hosts)):
        rules += [f"EXCLUDE {host}", f"EXCLUDE *.{host}"]
    return ", ".join(rules)


class BrowserFetcher:
    """Headless Chromium via Playwright's sync API: the DOM after the page's scripts have run.

    One browser, one context and one reused tab per crawl (a fresh tab costs more than the fetch).
    Images, fonts and media are never downloaded. The top-level document is requested through the route
    handler with redirects off, so a 3xx reaches the crawler instead of being followed behind its back.
    ``close`` tears everything down, also after errors, so no Chromium outlives the crawl; use the
    fetcher as a context manager.
    """

    def __init__(self, *, timeout: float, wait_for: str | None, allowed_hosts: list[str], log: Any = None) -> None:
        self.timeout_ms = timeout * 1000
        self.wait_for = wait_for
        self.allowed_hosts = allowed_hosts
        self._log = log or logging.getLogger(__name__)
        self._playwright: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._page: Any = None
        self._navigation_error: str | None = None

    def __enter__(self) -> BrowserFetcher:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        if self._playwright is None:
            self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            headless=True,
            executable_path=find_chromium(self._playwright),
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules={host_resolver_rules(self.allowed_hosts)}"],
            timeout=max(self.timeout_ms, 30_000),
        )
        self._context = self._browser.new_context(
            user_agent=f"Mozilla/5.0 (X11; Linux x86_64) Chrome (compatible; {USER_AGENT})",
            service_workers="block",
            locale="en-US",
            timezone_id="UTC",
        )
        self._context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        from playwright.sync_api import Error as PlaywrightError

        request = route.request
        if request.resource_type in BLOCKED_RESOURCES:
            route.abort()
            return
        if not (request.is_navigation_request() and request.frame.parent_frame is None):
            route.continue_()
            return
        try:
            response = route.fetch(max_redirects=0, timeout=self.timeout_ms)
        except PlaywrightError as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._navigation_error = message.removeprefix("Route.fetch: ")
            route.abort("timedout" if "Timeout" in message else "failed")
            return
        # The API client already decoded the body; the browser must not try to decode it again.
        headers = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS}
        location = headers.pop("location", None)
        if 300 <= response.status < 400 and location:
            headers[HELD_LOCATION] = location  # without Location the browser shows the 3xx, not its target
        route.fulfill(status=response.status, headers=headers, body=response.body())

    def close(self) -> None:
        self._close_page()
        for name in ("_context", "_browser"):
            handle = getattr(self, name)
            if handle is not None:
                try:
                    handle.close()
                except Exception as exc:  # already dead is fine; the next step still has to run
                    self._log.warning(f"closing {name.strip('_')} failed: {exc}")
                setattr(self, name, None)
        if self._playwright is not None:
            try:
                self._playwright.stop()
            except Exception as exc:
                self._log.warning(f"stopping playwright failed: {exc}")
            self._playwright = None

    def _close_page(self) -> None:
        if self._page is not None:
            try:
                self._page.close()
            except Exception as exc:
                self._log.warning(f"closing tab failed: {exc}")
            self._page = None

    def _ensure_browser(self) -> None:
        if self._browser is not None and self._browser.is_connected():
            return
        self._log.warning("browser is gone; relaunching")
        self._page = None
        for name in ("_context", "_browser"):
            handle = getattr(self, name)
            if handle is not None:
                try:
                    handle.close()
                except Exception as exc:  # a crashed browser cannot be closed politely; relaunch anyway
                    self._log.warning(f"closing crashed {name.strip('_')} failed: {exc}")
            setattr(self, name, None)
        self._start()

    def fetch(self, url: str) -> FetchResult:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        if self._playwright is None:
            raise RuntimeError("BrowserFetcher is not started; use it as a context manager")
        self._ensure_browser()
        if self._page is None or self._page.is_closed():
            self._page = self._context.new_page()
        page, healthy = self._page, False
        result = FetchResult(url=url, final_url=url, fetched_at=_now())
        self._navigation_error = None
        try:
            try:
                response = page.goto(url, wait_until="domcontentloaded", timeout=self.timeout_ms)
            except PlaywrightTimeoutError:
                result.error, result.transient = "timeout", True
                return result
            except PlaywrightError as exc:
                if self._navigation_error is not None:  # the document request itself failed
                    message, prefix = self._navigation_error, "connection error"
                else:
                    message, prefix = (str(exc).splitlines()[0] if str(exc) else type(exc).__name__), "browser"
                if "Timeout" in message:
                    result.error, result.transient = "timeout", True
                else:
                    result.error = f"{prefix}: {message}"
                    result.transient = any(code in message for code in _TRANSIENT_NET_ERRORS)
                return result
            result.fetched_at = _now()
            result.final_url = page.url
            if response is not None:
                result.status = response.status
                result.headers = {k.lower(): v for k, v in response.headers.items()}
            healthy = True
            if result.redirect_location is not None:
                return result
            if result.content_type is not None and not is_html(result.content_type):
                result.notes.append(f"non-HTML content ({media_type(result.content_type)}) not kept")
                return result
            if self.wait_for and result.status is not None and result.status < 400:
                try:
                    page.wait_for_selector(self.wait_for, state="attached", timeout=self.timeout_ms)
                except PlaywrightTimeoutError:
                    result.wait_timed_out = True
                    result.notes.append(
                        f"wait_for {self.wait_for!r} not matched within {self.timeout_ms / 1000:g}s; "
                        "stored the DOM as it was"
                    )
            try:
                result.html = page.content()
            except PlaywrightError as exc:
                healthy = False
                result.error = f"browser: could not read DOM: {str(exc).splitlines()[0]}"
            return result
        finally:
            if not healthy:  # a tab that failed may be wedged mid-navigation; the next URL gets a new one
                self._close_page()
