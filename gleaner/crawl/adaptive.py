"""Which renderer a page needs: the served HTML, or Chromium running the page's scripts.

Adaptive mode looks at the served document first (it is fetched over plain HTTP in every mode, so looking
costs a CSS match, not a request). If the source's ``wait_for`` content is already there, plain HTTP is
enough; if not, the page is rendered. The verdict is kept per *page type* (a `page_types` pattern from the
config, else the URL's shape: ``/shop/product/p17`` and ``/shop/product/p18`` are both
``/shop/product/*``), because a type's pages are built by one template. A type once found to need the
browser keeps it for the rest of the crawl, even for a page whose served HTML happens to match: a
template that renders its content with JavaScript is not trusted on one lucky page. A type believed
static is still checked page by page, so a page that lacks its content is never stored unrendered.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from parsel import Selector
from parsel.csstranslator import HTMLTranslator

from gleaner.sources import SourceConfig

Renderer = Literal["http", "browser"]
_HAS_DIGIT = re.compile(r"\d")


def url_shape(url: str) -> str:
    """Host and path with id-like segments (any digit) and every query value wildcarded."""
    parts = urlsplit(url)
    path = "/".join("*" if _HAS_DIGIT.search(segment) else segment for segment in parts.path.split("/"))
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    query = "&".join(f"{key}=*" for key in keys)
    return f"{parts.netloc.lower()}{path}" + (f"?{query}" if query else "")


class RenderPlanner:
    """Per-page renderer choice for one crawl; remembers each page type's verdict."""

    def __init__(self, source: SourceConfig, log: Any) -> None:
        self.mode = source.render
        self.log = log
        self.source_name = source.name
        self.patterns = [(name, re.compile(pattern)) for name, pattern in source.page_types.items()]
        self.content_xpath = HTMLTranslator().css_to_xpath(source.wait_for) if self.mode == "adaptive" else None
        self.verdicts: dict[str, Renderer] = {}
        self.flips: list[str] = []

    def page_type(self, url: str) -> str:
        for name, pattern in self.patterns:
            if pattern.search(url):
                return name
        return url_shape(url)

    def has_content(self, html: str) -> bool:
        assert self.content_xpath is not None
        return bool(Selector(text=html).xpath(self.content_xpath))

    def choose(self, url: str, served_html: str) -> Renderer:
        """The renderer for a page whose served document is ``served_html``."""
        if self.mode != "adaptive":
            return "http" if self.mode == "http" else "browser"
        if self.verdicts.get(self.page_type(url)) == "browser":
            return "browser"
        return "http" if self.has_content(served_html) else "browser"

    def learn(self, url: str, renderer: Renderer) -> None:
        """Record what a page of this type needed (also for pages replayed from a resumed crawl's spool)."""
        if self.mode != "adaptive":
            return
        kind = self.page_type(url)
        previous = self.verdicts.get(kind)
        if renderer == "browser" and previous != "browser":
            self.verdicts[kind] = "browser"
            if previous == "http":
                self.flips.append(kind)
                self.log.warning(
                    f"{self.source_name}: page type {kind} looked static but {url} needs JavaScript; "
                    "rendering the rest of its pages"
                )
        elif previous is None:
            self.verdicts[kind] = renderer
