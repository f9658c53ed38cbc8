"""Polite crawling of a configured source: plain HTTP for every document, Chromium only where a page needs it.

The public surface: `crawl_to_drop` (crawl a source-day into a resumable scrape drop), `crawl` (the page
iterator underneath) with its stats, and the browser's settings. Robots, politeness, fetchers, the
adaptive renderer choice and the checkpoint spool stay beneath.
"""

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "browser": ("BrowserSettings",),
        "crawler": ("CrawlStats", "crawl"),
        "to_drop": ("crawl_to_drop",),
    },
)
