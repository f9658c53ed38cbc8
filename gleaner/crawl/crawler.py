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

import logging
from collections.abc import Iterator, Set
from datetime import UTC, datetime
from typing import Any

from gleaner.crawl.browser import BrowserSettings
from gleaner.crawl.engine import CrawlEngine
from gleaner.crawl.fetchers import Clock, utc_now
from gleaner.crawl.links import extract_links
from gleaner.crawl.runner import EngineRunner, LogRelay
from gleaner.crawl.spool import Spool
from gleaner.crawl.stats import CrawlStats
from gleaner.pages import FetchedPage
from gleaner.progress import Progress
from gleaner.sources import SourceConfig

__all__ = ["CrawlStats", "FetchedPage", "crawl", "extract_links"]

logger = logging.getLogger(__name__)


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
    relay = LogRelay()
    runner = EngineRunner(
        lambda emit: CrawlEngine(
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
