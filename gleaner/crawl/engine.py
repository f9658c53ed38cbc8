"""The crawl engine: waves of concurrent fetches, robots and politeness per host, retries, redirects, rendering.

Everything that decides which pages exist happens between waves in sorted order (see `gleaner.crawl.crawler`
for why); within a wave pages are fetched concurrently and handed over as they complete.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urljoin

from gleaner.crawl.adaptive import RenderPlanner
from gleaner.crawl.attempts import MAX_REDIRECTS, MAX_RETRY_DELAY_SEC, Chain, failure_of, retry_after
from gleaner.crawl.browser import BrowserRenderer, BrowserSettings
from gleaner.crawl.fetchers import Clock, FetchResult, HttpFetcher
from gleaner.crawl.links import extract_links
from gleaner.crawl.politeness import HostGate
from gleaner.crawl.robots import RobotsCache, RobotsRules
from gleaner.crawl.spool import Spool, SpooledPage
from gleaner.crawl.stats import CrawlStats
from gleaner.pages import FetchedPage
from gleaner.sources import SourceConfig
from gleaner.urls import canonicalize_url, is_allowed, url_host


class CrawlEngine:
    def __init__(
        self,
        source: SourceConfig,
        *,
        already_fetched: Iterable[str],
        log: Any,
        stats: CrawlStats,
        backoff_base: float,
        spool: Spool | None,
        browser: BrowserSettings,
        clock: Clock,
        emit: Callable[[FetchedPage], Any],
    ) -> None:
        self.source, self.log, self.stats, self.spool, self.emit = source, log, stats, spool, emit
        self.backoff_base = backoff_base
        self.browser_settings = browser
        self.http = HttpFetcher(source.timeout_sec, source.max_body_bytes, clock)
        self.gate = HostGate(source.rate_limit_per_sec, source.concurrency)
        self.robots = RobotsCache(source.timeout_sec, log=log) if source.respect_robots else None
        self.planner = RenderPlanner(source, log)
        self.renderer: BrowserRenderer | None = None
        self.skip = {canonicalize_url(u) for u in already_fetched}
        self.seen: set[str] = set()  # discovered: queued, fetched, claimed by a redirect, or refused
        self.done: set[str] = set()  # fetched: as requested, redirected through or landed on
        self.starts: set[str] = set()
        self._robots_lock: asyncio.Lock | None = None
        self._executor: ThreadPoolExecutor | None = None

    async def run(self) -> None:
        self._robots_lock = asyncio.Lock()
        self._executor = ThreadPoolExecutor(
            max_workers=max(4, 2 * self.source.concurrency), thread_name_prefix=f"crawl-{self.source.name}"
        )
        try:
            wave, carried = self._start_urls(), []
            while wave or carried:
                admitted = carried + await self._admit(wave)
                room = self.source.max_pages - self.stats.pages_yielded
                if room <= 0:
                    self.stats.skipped_budget = len(admitted)
                    if admitted:
                        self.log.warning(
                            f"{self.source.name}: budget of {self.source.max_pages} pages spent; "
                            f"{len(admitted)} URLs left"
                        )
                    break
                batch, carried = admitted[:room], admitted[room:]  # the rest goes first next time
                self.stats.waves += 1
                wave = self._next_wave(await self._run_wave(batch))
        finally:
            if self.renderer is not None:
                await self.renderer.close()
                self.stats.browser_launches = self.renderer.stats.launches
                self.stats.browser_crashes = self.renderer.stats.crashes
                self.stats.contexts_recycled = self.renderer.stats.contexts_recycled
            self.stats.page_types = dict(sorted(self.planner.verdicts.items()))
            self.stats.render_flips = list(self.planner.flips)
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def _blocking(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    # ----------------------------------------------------------------------------------- frontier

    def _start_urls(self) -> list[str]:
        wave = []
        for raw in self.source.start_urls:
            url = canonicalize_url(raw)
            if url in self.seen:
                continue
            self.seen.add(url)
            if not is_allowed(url, self.source):
                self.log.warning(f"{self.source.name}: start URL {raw} is outside the source's own scope; skipped")
                self.stats.links_out_of_scope += 1
                continue
            self.starts.add(url)
            wave.append(url)
        return sorted(wave)

    async def _robots_rules(self, url: str) -> RobotsRules:
        assert self.robots is not None and self._robots_lock is not None
        rules = self.robots.known(url)
        if rules is not None:
            return rules
        async with self._robots_lock:
            rules = self.robots.known(url)
            if rules is None:
                async with self.gate.slot(url):
                    rules = await self._blocking(self.robots.rules_for, url)
            return rules

    async def _robots_allow(self, url: str) -> bool:
        if self.robots is None:
            return True
        rules = await self._robots_rules(url)
        if not rules.allows(url):
            self.stats.skipped_robots += 1
            self.stats.robots_disallowed.append(url)
            return False
        delay = rules.crawl_delay()
        if delay:
            self.gate.slow_down(url_host(url), delay)
        return True

    async def _admit(self, urls: list[str]) -> list[str]:
        """The wave's URLs that may and need be fetched, in the wave's (sorted) order."""
        admitted = []
        for url in urls:
            if url in self.done:
                self.stats.redirect_duplicates += 1  # an earlier redirect already went through or landed here
            elif url in self.skip and url not in self.starts:
                self.stats.skipped_already_fetched += 1
            elif await self._robots_allow(url):
                admitted.append(url)
            else:
                self.log.info(f"{self.source.name}: robots.txt disallows {url}; not fetched")
        return admitted

    def _next_wave(self, links: list[str]) -> list[str]:
        fresh: set[str] = set()
        for link in links:
            if link in self.seen or link in fresh:
                self.stats.links_duplicate += 1
            else:
                fresh.add(link)
        wave = []
        for link in sorted(fresh):
            self.seen.add(link)
            if is_allowed(link, self.source):
                wave.append(link)
            else:
                self.stats.links_out_of_scope += 1
        return wave

    # -------------------------------------------------------------------------------------- a wave

    async def _run_wave(self, urls: list[str]) -> list[str]:
        """Fetch one wave; returns the links found on its pages."""
        links: list[str] = []
        chains = []
        for url in urls:
            spooled = self.spool.get(url) if self.spool is not None else None
            if spooled is not None:
                await self._replay(spooled, links)
            else:
                chains.append(Chain(url, [url]))
        while chains:
            targets = await asyncio.gather(*(self._advance(chain, links) for chain in chains))
            follow = []
            for chain, target in zip(chains, targets, strict=True):  # requested-URL order: deterministic claims
                if target is not None and await self._redirect(chain, target, links):
                    follow.append(chain)
            chains = follow
        return links

    async def _advance(self, chain: Chain, links: list[str]) -> tuple[FetchResult, str] | None:
        """Fetch the chain's current hop; store the page, or return (the 3xx, its canonical target)."""
        result, error, history = await self._attempt(chain.current)
        chain.notes += history + result.notes
        location = result.redirect_location if error is None else None
        if location is None:
            await self._store(chain, result, error, links)
            return None
        try:
            target = canonicalize_url(urljoin(chain.current, location))
        except ValueError:
            await self._store(chain, result, f"unusable redirect location {location!r}", links)
            return None
        chain.notes.append(f"http {result.status} redirect to {target}")
        return result, target

    async def _redirect(self, chain: Chain, hop: tuple[FetchResult, str], links: list[str]) -> bool:
        """Decide a redirect like a newly found link; True when the chain goes on to the target."""
        result, target = hop
        error = None
        if not is_allowed(target, self.source):
            error = f"redirected out of scope to {target}"
        elif target in chain.hops:
            error = f"redirect loop via {target}"
        elif target in self.seen:
            self.stats.redirect_duplicates += 1  # fetched on its own (this wave or before)
        elif target in self.skip:
            self.stats.skipped_already_fetched += 1
        elif len(chain.hops) > MAX_REDIRECTS:
            error = f"more than {MAX_REDIRECTS} redirects"
        elif not await self._robots_allow(target):
            self.log.info(f"{self.source.name}: {chain.requested} redirects to {target}, which robots.txt disallows")
        else:
            self.seen.add(target)
            chain.hops.append(target)
            return True
        if error is not None:
            await self._store(chain, result, error, links)
        else:
            self.done.update(chain.hops)
        return False

    # ----------------------------------------------------------------------------------- one page

    async def _attempt(self, url: str) -> tuple[FetchResult, str | None, list[str]]:
        """Fetch one URL with retries: (last result, why it failed or None, what the retries were)."""
        history: list[str] = []
        max_retries = self.source.max_retries
        for attempt in range(1, max_retries + 2):
            result = await self._fetch_once(url)
            reason, retryable = failure_of(result)
            if reason is None or not retryable or attempt > max_retries:
                break
            delay = retry_after(result.headers) if result.status in (429, 503) else None
            delay = self.backoff_base * 2 ** (attempt - 1) if delay is None else delay
            delay = min(delay, MAX_RETRY_DELAY_SEC)
            history.append(f"attempt {attempt}: {reason}; retried after {delay:g}s")
            self.stats.retries += 1
            self.log.info(f"{url}: {reason}, retry {attempt}/{max_retries} in {delay:g}s")
            await asyncio.sleep(delay)
        if reason is not None and history:
            history.append(f"attempt {attempt}: {reason}; gave up")
        if result.wait_timed_out:
            self.stats.wait_for_timeouts += 1
        return result, reason, history

    async def _fetch_once(self, url: str) -> FetchResult:
        """The document over HTTP, then (if the page needs it) rendered, all inside the host's slot."""
        async with self.gate.slot(url):
            result: FetchResult = await self._blocking(self.http.fetch, url)
            self.stats.requests += 1
            if failure_of(result)[0] is None and result.renderable and result.html is not None:
                renderer = self.planner.choose(url, result.html)
                if renderer == "browser":
                    await self._render(result)
                if result.error is None:
                    self.planner.learn(url, renderer)
        result.body = None
        return result

    async def _render(self, result: FetchResult) -> None:
        if self.renderer is None:
            self.renderer = BrowserRenderer(
                allowed_domains=self.source.allowed_domains,
                wait_for=self.source.wait_for,
                timeout=self.source.timeout_sec,
                allow_resources=self.source.allow_resources,
                settings=self.browser_settings,
                log=self.log,
            )
        rendered = await self.renderer.render(result)
        result.notes += rendered.notes
        result.wait_timed_out = rendered.wait_timed_out
        if rendered.error is not None:
            result.error, result.transient, result.html, result.renderer = (
                rendered.error,
                rendered.transient,
                None,
                None,
            )
        else:
            result.html, result.renderer = rendered.html, "browser"

    async def _store(self, chain: Chain, result: FetchResult, error: str | None, links: list[str]) -> None:
        page = FetchedPage(
            requested_url=chain.requested,
            final_url=chain.current,
            canonical_url=canonicalize_url(chain.current),
            status=result.status,
            fetched_at=result.fetched_at,
            content_type=result.content_type,
            html=result.html,
            error=error,
            notes=tuple(chain.notes),
            renderer=result.renderer if result.html is not None else None,
        )
        if self.spool is not None:
            self.spool.add(page, tuple(chain.hops))
        await self._emit(page, chain.hops, links)

    async def _replay(self, spooled: SpooledPage, links: list[str]) -> None:
        page = spooled.page
        self.seen.update(spooled.chain)
        self.stats.pages_resumed += 1
        if page.error is None and page.renderer in ("http", "browser"):
            self.planner.learn(page.final_url, page.renderer)  # type: ignore[arg-type]
        await self._emit(page, list(spooled.chain), links)

    async def _emit(self, page: FetchedPage, hops: list[str], links: list[str]) -> None:
        self.done.update(hops)
        self.done.add(page.canonical_url)
        self.seen.add(page.canonical_url)
        stats = self.stats
        stats.pages_yielded += 1
        if page.error:
            stats.pages_failed += 1
            stats.errors[page.error] += 1
            self.log.warning(f"{self.source.name}: {page.requested_url} failed: {page.error}")
        else:
            stats.pages_ok += 1
        if page.renderer:
            stats.rendered_by[page.renderer] += 1
        if page.error is None and page.html is not None:
            links += extract_links(page.html, page.final_url)
        await self.emit(page)
