"""A polite breadth-first crawler for one source, yielding every fetched page (failures included).

Politeness and reproducibility are the design constraints. Every URL is canonicalized before it is
queued, so tracking-parameter variants of a page cost one request; robots.txt is asked before every
request; each host gets at most ``rate_limit_per_sec`` requests per second (or the robots.txt
crawl-delay, if larger); transient failures are retried with exponential backoff, honouring Retry-After.
Links are queued in sorted order so the same site always produces the same pages in the same order.

The crawler owns the browser for exactly as long as the generator runs: exhausting it, breaking out of
the loop or closing it shuts Chromium down. Consume it from the thread that created it (Playwright's
sync API is thread-bound).
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Set
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from parsel import Selector
from w3lib.html import strip_html5_whitespace

from gleaner.fetched import FetchedPage
from gleaner.fetchers import BrowserFetcher, FetchResult, HttpFetcher
from gleaner.robots import RobotsCache
from gleaner.sources import SourceConfig
from gleaner.urls import canonicalize_url, is_allowed, url_host

__all__ = ["CrawlStats", "FetchedPage", "crawl", "extract_links"]

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY_SEC = 60.0
MAX_REDIRECTS = 10
# 501 (not implemented) and 505 (version not supported) will not change on a retry.
_PERMANENT_5XX = frozenset({501, 505})


@dataclass
class CrawlStats:
    """Counts that reconcile a crawl: every URL discovered was fetched, skipped for a reason, or left over."""

    source: str = ""
    pages_yielded: int = 0
    pages_ok: int = 0
    pages_failed: int = 0
    requests: int = 0
    retries: int = 0
    skipped_robots: int = 0
    skipped_already_fetched: int = 0
    skipped_budget: int = 0
    redirect_duplicates: int = 0
    links_out_of_scope: int = 0
    links_duplicate: int = 0
    wait_for_timeouts: int = 0
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
        data["started_at"] = self.started_at.isoformat() if self.started_at else None
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        data["elapsed_sec"] = self.elapsed_sec
        return data


class HostThrottle:
    """Minimum spacing between requests to the same host; sleeps the caller until its turn."""

    def __init__(
        self,
        per_sec: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_sec
        self._clock, self._sleep = clock, sleep
        self._last: dict[str, float] = {}
        self._interval_by_host: dict[str, float] = {}

    def slow_down(self, host: str, interval: float) -> None:
        """Widen one host's spacing (robots.txt crawl-delay); never narrows below the configured rate."""
        self._interval_by_host[host] = max(interval, self.interval)

    def wait(self, url: str) -> None:
        host = url_host(url)
        interval = self._interval_by_host.get(host, self.interval)
        last = self._last.get(host)
        if last is not None:
            remaining = last + interval - self._clock()
            if remaining > 0:
                self._sleep(remaining)
        self._last[host] = self._clock()


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


class _Crawl:
    def __init__(
        self,
        source: SourceConfig,
        already_fetched: Iterable[str],
        log: Any,
        stats: CrawlStats,
        backoff_base: float,
        sleep: Callable[[float], None],
    ) -> None:
        self.source = source
        self.log = log
        self.stats = stats
        self.backoff_base = backoff_base
        self.sleep = sleep
        self.throttle = HostThrottle(source.rate_limit_per_sec, sleep=sleep)
        self.robots = (
            RobotsCache(source.timeout_sec, before_fetch=self.throttle.wait, log=log) if source.respect_robots else None
        )
        self.skip = {canonicalize_url(u) for u in already_fetched}
        self.done: set[str] = set()  # fetched this crawl, as requested, redirected through or landed on

    def robots_allows(self, url: str) -> bool:
        return self.robots is None or self.robots.allows(url)

    def fetcher(self) -> BrowserFetcher | HttpFetcher:
        if self.source.render == "http":
            return HttpFetcher(self.source.timeout_sec)
        hosts = [url_host(f"http://{d}") for d in self.source.allowed_domains]
        return BrowserFetcher(
            timeout=self.source.timeout_sec, wait_for=self.source.wait_for, allowed_hosts=hosts, log=self.log
        )

    def attempt(self, fetcher: BrowserFetcher | HttpFetcher, url: str) -> tuple[FetchResult, str | None, list[str]]:
        """Fetch one URL with retries: (last result, why it failed or None, what the retries were)."""
        history: list[str] = []
        for attempt in range(1, self.source.max_retries + 2):
            self.throttle.wait(url)
            result = fetcher.fetch(url)
            self.stats.requests += 1
            reason, retryable = _failure(result)
            if reason is None or not retryable or attempt > self.source.max_retries:
                break
            delay = _retry_after(result.headers) if result.status in (429, 503) else None
            delay = self.backoff_base * 2 ** (attempt - 1) if delay is None else delay
            delay = min(delay, MAX_RETRY_DELAY_SEC)
            history.append(f"attempt {attempt}: {reason}; retried after {delay:g}s")
            self.stats.retries += 1
            self.log.info(f"{url}: {reason}, retry {attempt}/{self.source.max_retries} in {delay:g}s")
            self.sleep(delay)
        if reason is not None and history:
            history.append(f"attempt {attempt}: {reason}; gave up")
        if result.wait_timed_out:
            self.stats.wait_for_timeouts += 1
        return result, reason, history

    def fetch(self, fetcher: BrowserFetcher | HttpFetcher, url: str) -> FetchedPage | None:
        """Fetch a URL, following redirects hop by hop as if each target were a newly found link.

        Returns None when a redirect leads somewhere this crawl must not or need not fetch (robots.txt,
        already fetched); those are counted in the stats instead.
        """
        notes: list[str] = []
        chain = [url]
        try:
            return self._follow(fetcher, url, notes, chain)
        finally:
            self.done.update(chain)  # a redirector is as fetched as its target: never request it again

    def _follow(
        self, fetcher: BrowserFetcher | HttpFetcher, url: str, notes: list[str], chain: list[str]
    ) -> FetchedPage | None:
        current = url
        while True:
            result, error, history = self.attempt(fetcher, current)
            notes += history + result.notes
            location = result.redirect_location if error is None else None
            if location is None:
                break
            target = canonicalize_url(urljoin(current, location))
            notes.append(f"http {result.status} redirect to {target}")
            if target in self.done:
                self.stats.redirect_duplicates += 1
                return None
            if target in self.skip:
                self.stats.skipped_already_fetched += 1
                return None
            if not is_allowed(target, self.source):
                error = f"redirected out of scope to {target}"
            elif target in chain:
                error = f"redirect loop via {target}"
            elif len(chain) > MAX_REDIRECTS:
                error = f"more than {MAX_REDIRECTS} redirects"
            elif not self.robots_allows(target):
                self.stats.skipped_robots += 1
                self.stats.robots_disallowed.append(target)
                self.log.info(f"{self.source.name}: {url} redirects to {target}, which robots.txt disallows")
                return None
            if error is not None:
                break
            current = target
            chain.append(target)

        return FetchedPage(
            requested_url=url,
            final_url=current,
            canonical_url=canonicalize_url(current),
            status=result.status,
            fetched_at=result.fetched_at,
            content_type=result.content_type,
            html=result.html,
            error=error,
            notes=tuple(notes),
        )

    def run(self) -> Iterator[FetchedPage]:
        source, stats = self.source, self.stats
        frontier: deque[str] = deque()
        seen: set[str] = set()
        starts: set[str] = set()
        for raw in source.start_urls:
            url = canonicalize_url(raw)
            if url in seen:
                continue
            seen.add(url)
            if not is_allowed(url, source):
                self.log.warning(f"{source.name}: start URL {raw} is outside the source's own scope; skipped")
                stats.links_out_of_scope += 1
                continue
            starts.add(url)
            frontier.append(url)

        done = self.done
        with self.fetcher() as fetcher:
            while frontier:
                url = frontier.popleft()
                if url in done:
                    stats.redirect_duplicates += 1  # an earlier redirect already went through or landed here
                    continue
                if url in self.skip and url not in starts:
                    stats.skipped_already_fetched += 1
                    continue
                if self.robots is not None:
                    rules = self.robots.rules_for(url)
                    if not rules.allows(url):
                        stats.skipped_robots += 1
                        stats.robots_disallowed.append(url)
                        self.log.info(f"{source.name}: robots.txt disallows {url}; not fetched")
                        continue
                    delay = rules.crawl_delay()
                    if delay:
                        self.throttle.slow_down(url_host(url), delay)
                if stats.pages_yielded >= source.max_pages:
                    stats.skipped_budget = len(frontier) + 1
                    left = stats.skipped_budget
                    self.log.warning(f"{source.name}: budget of {source.max_pages} pages spent; {left} URLs left")
                    break

                page = self.fetch(fetcher, url)
                if page is None:
                    continue
                done.add(page.canonical_url)
                seen.add(page.canonical_url)
                stats.pages_yielded += 1
                if page.error:
                    stats.pages_failed += 1
                    stats.errors[page.error] += 1
                    self.log.warning(f"{source.name}: {url} failed: {page.error}")
                else:
                    stats.pages_ok += 1
                yield page

                if page.error is None and page.html is not None:
                    for link in extract_links(page.html, page.final_url):
                        if link in seen:
                            stats.links_duplicate += 1
                            continue
                        seen.add(link)
                        if not is_allowed(link, source):
                            stats.links_out_of_scope += 1
                            continue
                        frontier.append(link)


def crawl(
    source: SourceConfig,
    *,
    already_fetched: Set[str] = frozenset(),
    log: Any = None,
    stats: CrawlStats | None = None,
    backoff_base: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[FetchedPage]:
    """Crawl one source breadth-first; yields each fetched page, failed ones with ``error`` set.

    URLs in ``already_fetched`` (canonicalized here) are neither fetched nor yielded, except the start
    URLs: those are always fetched because they are how new pages are found. Pages skipped for
    robots.txt, budget or scope are not yielded but counted in ``stats`` (pass a `CrawlStats` to read
    them). ``log`` is anything with ``info``/``warning`` (a logger, Dagster's ``context.log``).
    """
    stats = stats if stats is not None else CrawlStats()
    stats.source = source.name
    stats.started_at = datetime.now(UTC)
    log = log or logger
    try:
        yield from _Crawl(source, already_fetched, log, stats, backoff_base, sleep).run()
    finally:
        stats.finished_at = datetime.now(UTC)
        log.info(
            f"{source.name}: crawl finished: {stats.pages_ok} ok, {stats.pages_failed} failed, "
            f"{stats.skipped_robots} robots-disallowed, {stats.requests} requests in {stats.elapsed_sec:.1f}s"
        )
