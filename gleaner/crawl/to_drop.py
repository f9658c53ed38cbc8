"""Crawl a source into a scrape drop, resuming where an interrupted crawl of the same drop stopped.

The crawl checkpoints every page into a spool inside the drop's directory (`gleaner.crawl.spool`). Only when
the crawl has finished is the WARC written, from the spool, in canonical-URL order, with record ids and
the warcinfo date derived from the content (`gleaner.drops.warc_write.write_drop`). So a crawl killed mid-way and
started again for the same drop fetches only what is missing, and the drop it finally writes holds the
same records, byte for byte, as an uninterrupted crawl that fetched the same pages. A crawl that got no
HTTP response at all (the site down, every URL refused) stores nothing: as a complete drop it would stand
for the day and keep a later real drop or crawl from being read as the only one.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import date
from pathlib import Path
from typing import Any

from gleaner.crawl.browser import BrowserSettings
from gleaner.crawl.crawler import CrawlStats, crawl
from gleaner.crawl.fetchers import Clock, utc_now
from gleaner.crawl.spool import SPOOL_DIR, Spool
from gleaner.drops.local import MARKER, DropExistsError, drop_path
from gleaner.drops.warc_write import write_drop
from gleaner.sources import SourceConfig

logger = logging.getLogger(__name__)


def crawl_to_drop(
    source: SourceConfig,
    drops_root: Path | str,
    day: date | str,
    drop_id: str,
    *,
    log: Any = None,
    stats: CrawlStats | None = None,
    browser: BrowserSettings | None = None,
    backoff_base: float = 0.5,
    clock: Clock = utc_now,
) -> Path:
    """Crawl ``source`` into the drop ``<drops_root>/<source>/<day>/<drop_id>`` and return its directory."""
    log = log or logger
    target = drop_path(drops_root, source.name, day, drop_id)
    if (target / MARKER).exists():
        raise DropExistsError(f"drop {target} is already complete; drops are never rewritten")
    spool = Spool(target / SPOOL_DIR)
    if spool.recovered:
        log.info(f"{source.name}: resuming drop {drop_id}: {spool.recovered} pages already stored, not refetched")
    try:
        for _ in crawl(source, spool=spool, log=log, stats=stats, browser=browser, backoff_base=backoff_base,
                       clock=clock):  # fmt: skip
            pass
        spool.sync()
        answered = sum(1 for page in spool.pages_in_order() if page.status is not None)
        if not answered:
            errors = sorted({str(page.error) for page in spool.pages_in_order()})
            raise EmptyCrawlError(
                f"crawl of {source.name} for {day} got no HTTP response from any page "
                f"({'; '.join(errors[:3]) or 'nothing to fetch'}); nothing stored, so a later drop or crawl "
                "is not shadowed"
            )
        path = write_drop(drops_root, source.name, day, drop_id, spool.pages_in_order())
    except EmptyCrawlError:
        spool.remove()
        with contextlib.suppress(OSError):
            target.rmdir()  # nothing of it is left to resume
        raise
    finally:
        spool.close()
    spool.remove()
    return path


class EmptyCrawlError(RuntimeError):
    """A crawl that reached nothing: stored as a drop it would pass for the day's pages."""
