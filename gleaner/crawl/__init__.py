"""Polite crawling of a configured source: plain HTTP for every document, Chromium only where a page needs it.

The public surface: `crawl_to_drop` (crawl a source-day into a resumable scrape drop), `crawl` (the page
iterator underneath) with its stats, and the browser's settings. Robots, politeness, fetchers, the
adaptive renderer choice and the checkpoint spool stay beneath.
"""

from gleaner.crawl.browser import BrowserSettings
from gleaner.crawl.crawler import CrawlStats, crawl
from gleaner.crawl.to_drop import crawl_to_drop

__all__ = ["BrowserSettings", "CrawlStats", "crawl", "crawl_to_drop"]
