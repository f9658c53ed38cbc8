"""Headless Chromium that renders documents the crawler has already fetched (Playwright, async API).

The browser never requests a page itself: the top-level navigation is fulfilled from the bytes
`gleaner.fetchers.HttpFetcher` got, so robots.txt, scope, rate limits, redirects, size limits and
status handling stay the crawler's, and a page's scripts run against exactly the document that is
stored. Sub-resources (the page's own API calls, scripts, stylesheets) load normally if they are on the
source's allowed domains, except images, fonts and media unless the source asks for them; anything else,
and any navigation the page starts on its own, is aborted. Off-host names do not even resolve
(``--host-resolver-rules``): offline, Chromium's own DNS would otherwise stall each page for seconds.

Operations: one browser per crawl, one context+tab per concurrent render, each context replaced after
``recycle_after`` pages (Chromium's memory grows with every page a context has seen). A browser that
dies (crashed, killed, out of memory) is relaunched on the next render; the render that was in flight
fails as transient, so the crawler's retry fetches the page again. ``close`` stops everything, so no
Chromium outlives the crawl.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gleaner.fetchers import FetchResult
from gleaner.robots import USER_AGENT
from gleaner.urls import in_domains, url_host

SYSTEM_CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
BLOCKABLE_RESOURCES = frozenset({"image", "font", "media"})
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--mute-audio",
)
_HOP_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection", "location"})


class BrowserUnavailableError(RuntimeError):
    """No Chromium to launch, or it keeps dying: neither is fixed by retrying the page."""


@dataclass(frozen=True)
class BrowserSettings:
    """How the crawler runs Chromium; none of it changes what a page renders to."""

    recycle_after: int = 50  # pages one context renders before it is replaced
    max_launches: int = 5  # launches per crawl (the first one included) before renders fail for good
    executable: str | None = None  # else $GLEANER_CHROMIUM, Playwright's own build, a system Chromium


@dataclass
class RenderStats:
    launches: int = 0
    crashes: int = 0
    contexts_opened: int = 0
    contexts_recycled: int = 0
    pages_rendered: int = 0


def find_chromium(playwright: Any, configured: str | None = None) -> str | None:
    """Executable to launch: configured, $GLEANER_CHROMIUM, Playwright's own (None), a system Chromium."""
    override = configured or os.environ.get("GLEANER_CHROMIUM")
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
    """Resolve only the crawl's own hosts; everything else fails at once instead of stalling offline."""
    rules = ["MAP * ~NOTFOUND", "EXCLUDE localhost", "EXCLUDE 127.0.0.1"]
    for host in sorted(set(allowed_hosts)):
        rules += [f"EXCLUDE {host}", f"EXCLUDE *.{host}"]
    return ", ".join(rules)


@dataclass
class _Tab:
    context: Any
    page: Any
    generation: int
    rendered: int = 0
    document: FetchResult | None = None
    crashed: bool = False


@dataclass
class Rendered:
    html: str | None = None
    error: str | None = None
    transient: bool = False
    wait_timed_out: bool = False
    notes: list[str] = field(default_factory=list)


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


class BrowserRenderer:
    """Renders fetched documents in a pool of tabs; safe to call from many tasks of one event loop."""

    def __init__(
        self,
        *,
        allowed_domains: list[str],
        wait_for: str | None,
        timeout: float,
        allow_resources: list[str] = (),  # type: ignore[assignment]
        settings: BrowserSettings = BrowserSettings(),
        log: Any = None,
    ) -> None:
        self.allowed_domains = allowed_domains
        self.allowed_hosts = [url_host(f"http://{domain}") for domain in allowed_domains]
        self.wait_for = wait_for
        self.timeout_ms = timeout * 1000
        self.blocked = BLOCKABLE_RESOURCES - set(allow_resources)
        self.settings = settings
        self.log = log or logging.getLogger(__name__)
        self.stats = RenderStats()
        self._playwright: Any = None
        self._browser: Any = None
        self._generation = 0
        self._idle: list[_Tab] = []
        self._busy: set[int] = set()
        self._launch_lock = asyncio.Lock()
        self._gone: str | None = None

    # ------------------------------------------------------------------------------------ lifecycle

    async def _browser_ready(self) -> None:
        async with self._launch_lock:
            if self._browser is not None and self._browser.is_connected():
                return
            if self._gone is not None:
                raise BrowserUnavailableError(self._gone)
            if self._browser is not None:
                self.stats.crashes += 1
                self.log.warning("Chromium is gone (crashed or killed); relaunching")
                await self._quietly(self._browser.close())
                self._browser, self._idle = None, []
            if self.stats.launches >= self.settings.max_launches:
                self._gone = f"Chromium died {self.stats.crashes} times; not relaunching again"
                raise BrowserUnavailableError(self._gone)
            from playwright.async_api import async_playwright

            if self._playwright is None:
                self._playwright = await async_playwright().start()
            self.stats.launches += 1
            try:
                self._browser = await self._playwright.chromium.launch(
                    headless=True,
                    executable_path=find_chromium(self._playwright, self.settings.executable),
                    args=[*CHROMIUM_ARGS, f"--host-resolver-rules={host_resolver_rules(self.allowed_hosts)}"],
                    timeout=max(self.timeout_ms, 30_000),
                )
            except BrowserUnavailableError as exc:
                self._gone = str(exc)
                raise
            self._generation += 1

    async def close(self) -> None:
        tabs, self._idle = self._idle, []
        for tab in tabs:
            await self._quietly(tab.context.close())
        if self._browser is not None:
            await self._quietly(self._browser.close())
            self._browser = None
        if self._playwright is not None:
            await self._quietly(self._playwright.stop())
            self._playwright = None

    async def _quietly(self, awaitable: Any) -> None:
        try:
            await asyncio.wait_for(awaitable, timeout=30)
        except Exception as exc:  # closing something already dead: note it, then carry on tearing down
            self.log.debug(f"ignored while closing: {_first_line(exc)}")

    # ----------------------------------------------------------------------------------------- tabs

    async def _acquire(self) -> _Tab:
        await self._browser_ready()
        while self._idle:
            tab = self._idle.pop()
            if tab.generation == self._generation and not tab.crashed and not tab.page.is_closed():
                return tab
            await self._quietly(tab.context.close())
        context = await self._browser.new_context(
            user_agent=f"Mozilla/5.0 (X11; Linux x86_64) Chrome (compatible; {USER_AGENT})",
            service_workers="block",
            locale="en-US",
            timezone_id="UTC",
        )
        self.stats.contexts_opened += 1
        tab = _Tab(context=context, page=None, generation=self._generation)
        await context.route("**/*", lambda route: self._route(tab, route))
        tab.page = await context.new_page()
        tab.page.on("crash", lambda _page: setattr(tab, "crashed", True))
        return tab

    async def _release(self, tab: _Tab, healthy: bool) -> None:
        tab.rendered += 1
        if healthy and tab.generation == self._generation and tab.rendered < self.settings.recycle_after:
            self._idle.append(tab)
            return
        if healthy and tab.rendered >= self.settings.recycle_after:
            self.stats.contexts_recycled += 1
        await self._quietly(tab.context.close())

    async def _route(self, tab: _Tab, route: Any) -> None:
        from playwright.async_api import Error as PlaywrightError

        request = route.request
        try:
            if request.resource_type in self.blocked or not self._may_load(request.url):
                await route.abort("blockedbyclient")
            elif request.is_navigation_request() and request.frame.parent_frame is None:
                document, tab.document = tab.document, None
                if document is None or document.body is None:  # the page navigating away on its own
                    await route.abort("blockedbyclient")
                    return
                headers = {k: v for k, v in document.headers.items() if k not in _HOP_HEADERS}
                await route.fulfill(status=document.status, headers=headers, body=document.body)
            else:
                await route.continue_()
        except PlaywrightError:
            pass  # the tab or browser went away mid-request; render() reports that

    def _may_load(self, url: str) -> bool:
        scheme = url.split(":", 1)[0].lower()
        return scheme not in ("http", "https") or in_domains(url, self.allowed_domains)

    # --------------------------------------------------------------------------------------- render

    async def render(self, document: FetchResult) -> Rendered:
        """The DOM after the document's scripts ran and ``wait_for`` matched (or timed out, noted)."""
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeoutError

        try:
            tab = await self._acquire()
        except BrowserUnavailableError as exc:
            return Rendered(error=f"browser unavailable: {exc}")
        except PlaywrightError as exc:  # died while opening a tab: the next attempt relaunches
            return Rendered(error=f"browser crashed: {_first_line(exc)}", transient=True)
        tab.document = document
        healthy, result = False, Rendered()
        try:
            await tab.page.goto(document.final_url, wait_until="domcontentloaded", timeout=self.timeout_ms)
            if self.wait_for:
                try:
                    await tab.page.wait_for_selector(self.wait_for, state="attached", timeout=self.timeout_ms)
                except PlaywrightTimeoutError:
                    result.wait_timed_out = True
                    result.notes.append(
                        f"wait_for {self.wait_for!r} not matched within {self.timeout_ms / 1000:g}s; "
                        "stored the DOM as it was"
                    )
            result.html = await tab.page.content()
            healthy = True
            self.stats.pages_rendered += 1
        except PlaywrightTimeoutError:
            result.error, result.transient = "timeout", True
        except PlaywrightError as exc:
            result.error, result.transient = self._diagnose(tab, exc), True
        finally:
            tab.document = None
            await self._release(tab, healthy)
        return result

    def _diagnose(self, tab: _Tab, exc: BaseException) -> str:
        if self._browser is None or not self._browser.is_connected():
            return f"browser crashed: {_first_line(exc)}"
        if tab.crashed:
            return f"page crashed: {_first_line(exc)}"
        return f"browser: {_first_line(exc)}"
