"""A polite, concurrent, resumable breadth-first crawler for one source, yielding every fetched page.

Politeness: every URL is canonicalized before it is queued, so tracking-parameter variants of a page cost
one request; robots.txt is asked before every request (redirect hops included); each host gets at most
``concurrency`` requests in flight, started at most ``rate_limit_per_sec`` per second (or the robots.txt
crawl-delay, if slower); transient failures (timeouts, 429, 5xx, a crashed browser) are retried with
exponential backoff, honouring Retry-After.

Reproducibility under concurrency: the crawl proceeds in waves, one per link depth. A wave's pages are
fetched concurrently, but everything that decides *which* pages exist is done between waves in sorted
order: the next wave is the sorted set of new links, the page budget cuts a wave in that order, and
redirects are resolved at the end of each round of hops in requested-URL order, so two redirects racing
to the same target always resolve the same way. Pages are yielded as they complete; the drop is written
in canonical-URL order (see `gleaner.crawl.to_drop`), so completion order never reaches the stored bytes.

Resumability: given a `Spool`, each page is checkpointed the moment it is fetched, and a page already in
the spool is replayed from it instead of being requested, with its links, so a crawl started again after
a kill walks the same waves and fetches only what is missing.

The work runs on an event loop in a private thread (Playwright's async API drives the browser); the
caller just iterates. Exhausting the iterator, breaking out of it or closing it stops the crawl and shuts
Chromium down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Set
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from w3lib.html import strip_html5_whitespace

from gleaner.crawl.adaptive import RenderPlanner
from gleaner.crawl.browser import BrowserRenderer, BrowserSettings
from gleaner.crawl.fetchers import Clock, FetchResult, HttpFetcher, utc_now
from gleaner.crawl.politeness import HostGate
from gleaner.crawl.robots import RobotsCache, RobotsRules
from gleaner.crawl.spool import Spool, SpooledPage
from gleaner.pages import FetchedPage
from gleaner.progress import Progress
from gleaner.sources import SourceConfig
from gleaner.urls import canonicalize_url, is_allowed, url_host

__all__ = ["CrawlStats", "FetchedPage", "crawl", "extract_links"]

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY_SEC = 60.0
MAX_REDIRECTS = 10
# 501 (not implemented) and 505 (version not supported) will not change on a retry.
_PERMANENT_5XX = frozenset({501, 505})
_OUT_QUEUE_PAGES = 16  # pages handed over but not yet taken by the caller: what bounds memory here


@dataclass
class CrawlStats:
    """Counts that reconcile a crawl: every URL discovered was fetched, skipped for a reason, or left over."""

    source: str = ""
    pages_yielded: int = 0
    pages_ok: int = 0
    pages_failed: int = 0
    pages_resumed: int = 0  # replayed from the spool of an earlier, interrupted run: not requested again
    requests: int = 0
    retries: int = 0
    skipped_robots: int = 0
    skipped_already_fetched: int = 0
    skipped_budget: int = 0
    redirect_duplicates: int = 0
    links_out_of_scope: int = 0
    links_duplicate: int = 0
    wait_for_timeouts: int = 0
    waves: int = 0
    rendered_by: Counter[str] = field(default_factory=Counter)
    page_types: dict[str, str] = field(default_factory=dict)  # adaptive mode's verdict per page type
    render_flips: list[str] = field(default_factory=list)
    browser_launches: int = 0
    browser_crashes: int = 0
    contexts_recycled: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    robots_disallowed: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def elapsed_sec(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = dict(self.errors)
        data["rendered_by"] = dict(self.rendered_by)
        data["started_at"] = self.started_at.isoformat() if self.started_at else None
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        data["elapsed_sec"] = self.elapsed_sec
        return data


def extract_links(html: str, base_url: str) -> list[str]:
    """Canonical http(s) URLs of every <a href>, resolved against <base href>, sorted and unique."""
    selector = Selector(text=html)
    base = selector.css("base::attr(href)").get()
    base_url = urljoin(base_url, strip_html5_whitespace(base)) if base else base_url
    links = set()
    for href in selector.css("a::attr(href)").getall():
        href = strip_html5_whitespace(href)
        if not href or href.startswith("#"):
            continue
        try:
            absolute = urljoin(base_url, href)
            if urlsplit(absolute).scheme.lower() not in ("http", "https"):
                continue
            links.add(canonicalize_url(absolute))
        except ValueError:  # malformed (e.g. an unbalanced IPv6 bracket): not a link we can follow
            continue
    return sorted(links)


def _retry_after(headers: dict[str, str]) -> float | None:
    value = headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _failure(result: FetchResult) -> tuple[str | None, bool]:
    """(reason the attempt failed, whether retrying may help)."""
    if result.error:
        return result.error, result.transient
    if result.status is None:
        return "no response", True
    if result.status == 429 or (result.status >= 500 and result.status not in _PERMANENT_5XX):
        return f"http {result.status}", True
    if result.status >= 400:
        return f"http {result.status}", False
    return None, False


@dataclass
class _Chain:
    """One requested URL and the redirect hops taken from it so far."""

    requested: str
    hops: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def current(self) -> str:
        return self.hops[-1]


class _Engine:
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
                chains.append(_Chain(url, [url]))
        while chains:
            targets = await asyncio.gather(*(self._advance(chain, links) for chain in chains))
            follow = []
            for chain, target in zip(chains, targets, strict=True):  # requested-URL order: deterministic claims
                if target is not None and await self._redirect(chain, target, links):
                    follow.append(chain)
            chains = follow
        return links

    async def _advance(self, chain: _Chain, links: list[str]) -> tuple[FetchResult, str] | None:
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

    async def _redirect(self, chain: _Chain, hop: tuple[FetchResult, str], links: list[str]) -> bool:
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
            reason, retryable = _failure(result)
            if reason is None or not retryable or attempt > max_retries:
                break
            delay = _retry_after(result.headers) if result.status in (429, 503) else None
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
            if _failure(result)[0] is None and result.renderable and result.html is not None:
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

    async def _store(self, chain: _Chain, result: FetchResult, error: str | None, links: list[str]) -> None:
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


class _LogRelay:
    """Log calls made on the crawl's thread, replayed on the caller's (a Dagster ``context.log`` stays there)."""

    def __init__(self) -> None:
        self._records: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()

    def _put(self, level: str, message: str, *args: object) -> None:
        self._records.put((level, message % args if args else message))

    def debug(self, message: str, *args: object) -> None:
        self._put("debug", message, *args)

    def info(self, message: str, *args: object) -> None:
        self._put("info", message, *args)

    def warning(self, message: str, *args: object) -> None:
        self._put("warning", message, *args)

    def drain(self, log: Any) -> None:
        while True:
            try:
                level, message = self._records.get_nowait()
            except queue.Empty:
                return
            getattr(log, level)(message)


class _Runner:
    """The engine's event loop on its own thread, handing pages over through a bounded queue."""

    def __init__(self, make_engine: Callable[[Callable[[FetchedPage], Any]], _Engine], name: str) -> None:
        self.pages: queue.Queue[FetchedPage] = queue.Queue(maxsize=_OUT_QUEUE_PAGES)
        self.engine = make_engine(self._emit)
        self.finished = threading.Event()
        self.failure: BaseException | None = None
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._main, name=f"crawl-{name}", daemon=True)

    async def _emit(self, page: FetchedPage) -> None:
        while True:
            try:
                self.pages.put_nowait(page)
                return
            except queue.Full:
                await asyncio.sleep(0.01)  # the caller is busy: wait without blocking the loop

    def _main(self) -> None:
        try:
            asyncio.run(self._amain())
        except BaseException as exc:  # noqa: BLE001 - reported to the caller's thread, not lost here
            self.failure = self.failure or exc
        finally:
            self._started.set()
            self.finished.set()

    async def _amain(self) -> None:
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        self._started.set()
        with contextlib.suppress(asyncio.CancelledError):  # stopped by the caller
            await self.engine.run()

    def start(self) -> None:
        self._thread.start()
        self._started.wait()

    def next_page(self, on_wait: Callable[[], None]) -> FetchedPage | None:
        while True:
            try:
                return self.pages.get(timeout=0.1)
            except queue.Empty:
                on_wait()
            if self.finished.is_set() and self.pages.empty():
                if self.failure is not None:
                    raise self.failure
                return None

    def stop(self) -> None:
        if self._thread.is_alive() and self._loop is not None and self._task is not None:
            with contextlib.suppress(RuntimeError):  # the loop has just closed on its own
                self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=120)


def crawl(
    source: SourceConfig,
    *,
    already_fetched: Set[str] = frozenset(),
    log: Any = None,
    stats: CrawlStats | None = None,
    backoff_base: float = 0.5,
    spool: Spool | None = None,
    browser: BrowserSettings | None = None,
    clock: Clock = utc_now,
) -> Iterator[FetchedPage]:
    """Crawl one source breadth-first; yields each fetched page (failed ones with ``error`` set) as it completes.

    URLs in ``already_fetched`` (canonicalized here) are neither fetched nor yielded, except the start
    URLs: those are always fetched because they are how new pages are found. With a ``spool``, pages it
    already holds are yielded from it without a request (``stats.pages_resumed``) and new ones are added
    as they arrive. Pages skipped for robots.txt, budget or scope are not yielded but counted in ``stats``.
    ``log`` is anything with ``info``/``warning`` (a logger, Dagster's ``context.log``); it is only ever
    called from the thread iterating. ``clock`` stamps ``fetched_at`` (tests pin it).
    """
    stats = stats if stats is not None else CrawlStats()
    stats.source = source.name
    stats.started_at = datetime.now(UTC)
    log = log or logger
    relay = _LogRelay()
    runner = _Runner(
        lambda emit: _Engine(
            source,
            already_fetched=already_fetched,
            log=relay,
            stats=stats,
            backoff_base=backoff_base,
            spool=spool,
            browser=browser or BrowserSettings(),
            clock=clock,
            emit=emit,
        ),
        source.name,
    )
    progress = Progress(log.info, f"{source.name}: pages fetched", source.max_pages)
    runner.start()
    try:
        while (page := runner.next_page(lambda: relay.drain(log))) is not None:
            relay.drain(log)
            progress.advance(detail=f"{stats.pages_failed} failed, {stats.requests} requests")
            yield page
    finally:
        runner.stop()
        relay.drain(log)
        stats.finished_at = datetime.now(UTC)
        log.info(
            f"{source.name}: crawl finished: {stats.pages_ok} ok, {stats.pages_failed} failed "
            f"({stats.pages_resumed} resumed from the spool), {stats.skipped_robots} robots-disallowed, "
            f"{stats.requests} requests in {stats.elapsed_sec:.1f}s"
        )
