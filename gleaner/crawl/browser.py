"""Headless Chromium that renders documents the crawler has already fetched (Playwright, async API).

The browser never requests a page itself: the top-level navigation is fulfilled from the bytes
`gleaner.crawl.fetchers.HttpFetcher` got, so robots.txt, scope, rate limits, redirects, size limits and
status handling stay the crawler's, and a page's scripts run against exactly the document that is
stored. Sub-resources (the page's own API calls, scripts, stylesheets) load normally if they are on the
source's allowed domains, except images, fonts and media unless the source asks for them; anything else,
and any navigation the page starts on its own, is aborted. Off-host names do not even resolve
(``--host-resolver-rules``): offline, Chromium's own DNS would otherwise stall each page for seconds.

Operations: one browser per crawl and one context, shared by a tab per concurrent render (measured on
the demo site: a context per tab renders a third slower and takes a third more memory), with at most
``renderer_processes`` renderer processes. The context is replaced after ``recycle_after`` pages
(Chromium's memory grows with every page a context has seen): new renders go to a fresh context and
the old one closes when its last tab finishes. A browser that dies (crashed, killed, out of memory) is
relaunched on the next render; the renders that were in flight fail as transient, so the crawler's retry
fetches those pages again. ``close`` stops everything, so no Chromium outlives the crawl.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gleaner.crawl.fetchers import FetchResult
from gleaner.crawl.robots import USER_AGENT
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


class BrowserStuckError(RuntimeError):
    """Chromium stopped answering; the render is retried (and the browser relaunched if it is gone)."""


@dataclass(frozen=True)
class BrowserSettings:
    """How the crawler runs Chromium; none of it changes what a page renders to."""

    recycle_after: int = 50  # pages one context renders before it is replaced
    max_launches: int = 5  # launches per crawl (the first one included) before renders fail for good
    executable: str | None = None  # else $GLEANER_CHROMIUM, Playwright's own build, a system Chromium
    renderer_processes: int = max(2, os.cpu_count() or 2)  # more cannot run at once; each costs memory


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


@dataclass(eq=False)
class _Context:
    handle: Any
    generation: int  # of the browser it lives in
    rendered: int = 0
    tabs: int = 0
    retired: bool = False


@dataclass(eq=False)
class _Tab:
    context: _Context
    page: Any = None
    document: FetchResult | None = None
    crashed: bool = False
    blocked_navigation: str | None = None  # where the page tried to take the tab on its own (refused)


@dataclass
class Rendered:
    html: str | None = None
    error: str | None = None
    transient: bool = False
    wait_timed_out: bool = False
    notes: list[str] = field(default_factory=list)


def out_of_scope_error(url: str, allowed_domains: list[str]) -> str:
    """The failure of a page that navigated the tab away on its own (meta refresh, script, form)."""
    where = "outside the allowed domains" if not in_domains(url, allowed_domains) else "away on its own"
    return f"out of scope: the page navigated {where} to {url}; not stored"


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
        self._context: _Context | None = None
        self._idle: list[_Tab] = []
        self._tabs: dict[int, _Tab] = {}  # id(page) -> tab: how the context's route finds the document
        self._launch_lock = asyncio.Lock()
        self._context_lock = asyncio.Lock()
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
                self._browser, self._idle, self._context = None, [], None
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
                    args=[
                        *CHROMIUM_ARGS,
                        f"--host-resolver-rules={host_resolver_rules(self.allowed_hosts)}",
                        f"--renderer-process-limit={self.settings.renderer_processes}",
                    ],
                    timeout=max(self.timeout_ms, 30_000),
                )
            except BrowserUnavailableError as exc:
                self._gone = str(exc)
                raise
            self._generation += 1

    async def close(self) -> None:
        self._idle, self._context = [], None
        if self._browser is not None:
            await self._quietly(self._browser.close())
            self._browser = None
        if self._playwright is not None:
            await self._quietly(self._playwright.stop())
            self._playwright = None

    async def _bounded(self, awaitable: Any) -> Any:
        """A Playwright call that takes no timeout of its own: one sent to a browser that has just died can
        wait forever for an answer (seen with ``new_page``), so it gets the page timeout plus a margin."""
        try:
            return await asyncio.wait_for(awaitable, timeout=self.timeout_ms / 1000 + 5)
        except TimeoutError as exc:
            raise BrowserStuckError("Chromium did not answer; it may have died") from exc

    async def _quietly(self, awaitable: Any) -> None:
        try:
            await asyncio.wait_for(awaitable, timeout=30)
        except Exception as exc:  # closing something already dead: note it, then carry on tearing down
            self.log.debug(f"ignored while closing: {_first_line(exc)}")

    # ----------------------------------------------------------------------------------------- tabs

    async def _current_context(self) -> _Context:
        async with self._context_lock:  # tabs opening at once must not each make their own context
            current = self._context
            if current is None or current.retired or current.generation != self._generation:
                handle = await self._bounded(
                    self._browser.new_context(
                        user_agent=f"Mozilla/5.0 (X11; Linux x86_64) Chrome (compatible; {USER_AGENT})",
                        service_workers="block",
                        locale="en-US",
                        timezone_id="UTC",
                    )
                )
                await self._bounded(handle.route("**/*", self._route))
                current = self._context = _Context(handle, self._generation)
                self.stats.contexts_opened += 1
            return current

    def _usable(self, tab: _Tab) -> bool:
        context = tab.context
        return not (context.retired or context.generation != self._generation or tab.crashed or tab.page.is_closed())

    async def _acquire(self) -> _Tab:
        await self._browser_ready()
        while self._idle:
            tab = self._idle.pop()
            if self._usable(tab):
                return tab
            await self._discard(tab)
        context = await self._current_context()
        tab = _Tab(context)
        context.tabs += 1
        try:
            tab.page = await self._bounded(context.handle.new_page())
        except BaseException:
            context.tabs -= 1
            raise
        self._tabs[id(tab.page)] = tab
        tab.page.on("crash", lambda _page: setattr(tab, "crashed", True))
        return tab

    async def _release(self, tab: _Tab, healthy: bool) -> None:
        context = tab.context
        context.rendered += 1
        if context.rendered >= self.settings.recycle_after and not context.retired:
            context.retired = True  # new renders get a fresh context; this one closes with its last tab
            self.stats.contexts_recycled += 1
            idle = [t for t in self._idle if t.context is context]
            self._idle = [t for t in self._idle if t.context is not context]
            for other in idle:
                await self._discard(other)
        if healthy and self._usable(tab):
            self._idle.append(tab)
        else:
            await self._discard(tab)

    async def _discard(self, tab: _Tab) -> None:
        context = tab.context
        self._tabs.pop(id(tab.page), None)
        context.tabs -= 1
        if context.tabs == 0 and (context.retired or context.generation != self._generation):
            if context is self._context:
                self._context = None
            await self._quietly(context.handle.close())
        else:
            await self._quietly(tab.page.close())

    async def _route(self, route: Any) -> None:
        from playwright.async_api import Error as PlaywrightError

        request = route.request
        try:
            top_level = request.is_navigation_request() and request.frame.parent_frame is None
            tab = self._tabs.get(id(request.frame.page)) if top_level else None
            if request.resource_type in self.blocked or not self._may_load(request.url):
                if tab is not None and tab.document is None:
                    tab.blocked_navigation = request.url
                await route.abort("blockedbyclient")
            elif top_level:
                document = tab.document if tab is not None else None
                if tab is not None:
                    tab.document = None
                if document is None or document.body is None:  # the page navigating away on its own
                    if tab is not None:
                        tab.blocked_navigation = request.url
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
        except (PlaywrightError, BrowserStuckError) as exc:  # died while opening a tab: the retry relaunches
            return Rendered(error=f"browser crashed: {_first_line(exc)}", transient=True)
        tab.document, tab.blocked_navigation = document, None
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
            result.html = await self._bounded(tab.page.content())
            healthy = True
            self.stats.pages_rendered += 1
            if tab.blocked_navigation is not None or tab.page.url.startswith("chrome-error:"):
                # what the tab holds is Chromium's page for the refused navigation, not the document
                result.html, result.notes = None, []
                result.error = out_of_scope_error(tab.blocked_navigation or tab.page.url, self.allowed_domains)
        except PlaywrightTimeoutError:
            result.error, result.transient = "timeout", True
        except (PlaywrightError, BrowserStuckError) as exc:
            if tab.blocked_navigation is not None:  # content() raced the refused navigation
                result.error = out_of_scope_error(tab.blocked_navigation, self.allowed_domains)
            else:
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
