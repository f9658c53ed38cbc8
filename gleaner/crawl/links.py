"""The links a page offers a crawler: canonical http(s) URLs of its anchors, resolved against its base."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from parsel import Selector
from w3lib.html import strip_html5_whitespace

from gleaner.urls import canonicalize_url


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
