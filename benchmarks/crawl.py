"""Benchmark: crawling the demo site three ways, in one run, against one local server.

1. naive: the sequential Playwright loop tutorials show: one page at a time, a new tab per URL,
   ``goto`` with the default ``load`` wait, nothing blocked, nothing reused, then a wait for the content;
2. browser: ``gleaner.crawl.crawler`` with every page rendered in Chromium;
3. adaptive: ``gleaner.crawl.crawler`` rendering only the page types whose served HTML lacks the content.

All three start from both shops' home pages, follow the same in-scope links, skip what robots.txt
disallows and wait for the same content (the JavaScript-rendered reviews), so they fetch the same pages;
the counts are printed to check. The demo site is enlarged with ``--extra-products`` plain products per
shop (more listing pages and more JavaScript product pages). ``--latency`` delays every response, as a
site across a network does (50 ms by default, a nearby, fast site): on loopback with no latency at all,
the figure measures only CPU, which on a small machine caps what any concurrency can gain; run with
``--latency 0`` for that figure. Memory is the peak proportional set size (PSS: shared pages split between
the processes sharing them, so the sum is not inflated) of this process and all its descendants, the
Playwright driver and Chromium included, sampled every 50 ms; the Chromium processes alone are reported too.

    .venv/bin/python benchmarks/crawl.py [--extra-products 100] [--concurrency 6] [--latency 0.05]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import deque
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from process_memory import MemorySampler  # noqa: E402  (beside this script)

from gleaner.crawl.browser import find_chromium  # noqa: E402
from gleaner.crawl.crawler import CrawlStats, crawl, extract_links  # noqa: E402
from gleaner.crawl.robots import fetch_robots  # noqa: E402
from gleaner.demo_site import DemoSiteServer, build_site  # noqa: E402
from gleaner.sources import SourceConfig  # noqa: E402
from gleaner.urls import canonicalize_url, is_allowed  # noqa: E402

WAIT_FOR = "#reviews[data-loaded], body:not(:has(#reviews))"


def source(server: DemoSiteServer, render: str, concurrency: int) -> SourceConfig:
    return SourceConfig(
        name="bench",
        start_urls=[server.url("/acme/"), server.url("/globex/")],
        allowed_domains=["127.0.0.1"],
        include=[r"/(acme|globex)(/|$)"],
        render=render,
        wait_for=WAIT_FOR,
        concurrency=concurrency,
        rate_limit_per_sec=1000,  # the local server is ours: politeness is not what is measured here
        max_pages=100_000,
        max_retries=2,
        timeout_sec=15,
    )


def naive(config: SourceConfig) -> int:
    """One tab per URL, sequentially, everything loaded; the same scope, robots.txt and content wait."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    robots = fetch_robots(config.start_urls[0].split("/acme")[0], 10)
    frontier = deque(sorted({canonicalize_url(u) for u in config.start_urls}))
    seen, pages = set(frontier), 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(playwright), args=["--no-sandbox"])
        while frontier:
            url = frontier.popleft()
            page = browser.new_page()
            try:
                page.goto(url, timeout=15_000)
                page.wait_for_selector(WAIT_FOR, state="attached", timeout=15_000)
                html, final = page.content(), page.url
            except PlaywrightError:
                html, final = "", url
            finally:
                page.close()
            pages += 1
            for link in extract_links(html, final):
                if link not in seen and is_allowed(link, config) and robots.allows(link):
                    seen.add(link)
                    frontier.append(link)
        browser.close()
    return pages


def ours(config: SourceConfig) -> tuple[int, CrawlStats]:
    stats = CrawlStats()
    pages = sum(1 for _ in crawl(config, stats=stats))
    return pages, stats


def measure(name: str, run, server: DemoSiteServer) -> dict[str, object]:  # type: ignore[no-untyped-def]
    server.reset()
    with MemorySampler() as memory:
        started = time.monotonic()
        outcome = run()
        elapsed = time.monotonic() - started
    pages, stats = outcome if isinstance(outcome, tuple) else (outcome, None)
    figures: dict[str, object] = {
        "pages": pages,
        "seconds": round(elapsed, 2),
        "pages_per_sec": round(pages / elapsed, 2),
        "requests_to_server": sum(server.hits.values()),
        "peak_tree_mb": round(memory.peak_tree / 2**20),
        "peak_chromium_mb": round(memory.peak_chromium / 2**20),
    }
    if stats is not None:
        figures["rendered_by"] = dict(stats.rendered_by)
        figures["pages_failed"] = stats.pages_failed
    print(f"{name:>9}: {json.dumps(figures)}", flush=True)
    return figures


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extra-products", type=int, default=100, help="plain products added to each shop")
    parser.add_argument("--concurrency", type=int, default=6, help="the crawler's requests in flight")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the server waits before answering")
    args = parser.parse_args(argv)

    site = build_site(extra_products=args.extra_products)
    print(f"demo site: {len(site.pages)} pages, {len(site.products)} products; cores: {psutil.cpu_count()}")
    with DemoSiteServer(site, latency=args.latency) as server:
        results = {
            "naive": measure("naive", lambda: naive(source(server, "browser", 1)), server),
            "browser": measure("browser", lambda: ours(source(server, "browser", args.concurrency)), server),
            "adaptive": measure("adaptive", lambda: ours(source(server, "adaptive", args.concurrency)), server),
        }
    base = results["naive"]["pages_per_sec"]
    summary: dict[str, object] = {
        "site_pages": len(site.pages),
        "extra_products": args.extra_products,
        "concurrency": args.concurrency,
        "latency_sec": args.latency,
        **{f"{name}_pages": r["pages"] for name, r in results.items()},
        **{f"{name}_pages_per_sec": r["pages_per_sec"] for name, r in results.items()},
        "browser_speedup": round(results["browser"]["pages_per_sec"] / base, 2),  # type: ignore[operator]
        "adaptive_speedup": round(results["adaptive"]["pages_per_sec"] / base, 2),  # type: ignore[operator]
        "peak_tree_mb": max(r["peak_tree_mb"] for r in results.values()),  # type: ignore[type-var]
        "peak_chromium_mb": max(r["peak_chromium_mb"] for r in results.values()),  # type: ignore[type-var]
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
