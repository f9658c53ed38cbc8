"""A crawl killed mid-way and started again does not refetch what it stored, and writes the same drop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from crawl_child import PINNED
from fakes.browser_procs import assert_no_browser_left, marked_browsers

from gleaner.crawl.crawler import CrawlStats
from gleaner.crawl.spool import SPOOL_DIR, SPOOL_FILE, Spool
from gleaner.crawl.to_drop import crawl_to_drop
from gleaner.demo_site import DemoSiteServer, build_site
from gleaner.drops.local import MARKER, WARC_NAME, list_complete_drops
from gleaner.sources import SourceConfig

DAY, DROP = "2026-11-20", "crawl-001"
CHILD = Path(__file__).with_name("crawl_child.py")


def test_killed_crawl_resumes_without_refetching_and_writes_the_same_drop(tmp_path: Path) -> None:
    with marked_browsers(), DemoSiteServer(build_site(), latency=0.03) as server:
        source = SourceConfig(
            name="acme", start_urls=[server.url("/acme/")], allowed_domains=["127.0.0.1"],
            include=[r"/acme(/|$)"], render="adaptive", wait_for="#reviews[data-loaded], body:not(:has(#reviews))",
            rate_limit_per_sec=50, concurrency=2, max_retries=1, timeout_sec=8,
        )  # fmt: skip
        resumed_root, fresh_root = tmp_path / "resumed", tmp_path / "fresh"
        spool_file = resumed_root / "acme" / DAY / DROP / SPOOL_DIR / SPOOL_FILE

        child = subprocess.Popen(
            [sys.executable, str(CHILD), source.model_dump_json(), str(resumed_root), DAY, DROP],
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while not (spool_file.exists() and spool_file.read_bytes().count(b"\n") >= 6):
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, "the child crawl never got going"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stderr.close()
        assert_no_browser_left()  # the killed crawl's Chromium does not linger either

        assert list_complete_drops(resumed_root) == []  # no marker: invisible to readers, the sensor waits
        stored = Spool(spool_file.parent)
        already = set(stored)
        stored.close()
        assert 6 <= len(already) < 14

        server.reset()
        stats = CrawlStats()
        crawl_to_drop(source, resumed_root, DAY, DROP, stats=stats, clock=lambda: PINNED)
        refetched = {server.url(path) for path in server.hits} & already
        assert refetched == set() and stats.pages_resumed == len(already)
        assert not spool_file.parent.exists()  # the spool is gone once the drop is complete

        crawl_to_drop(source, fresh_root, DAY, DROP, clock=lambda: PINNED)
        assert_no_browser_left()

    resumed, fresh = (root / "acme" / DAY / DROP for root in (resumed_root, fresh_root))
    assert (resumed / WARC_NAME).read_bytes() == (fresh / WARC_NAME).read_bytes()
    markers = [json.loads((d / MARKER).read_text()) for d in (resumed, fresh)]
    for marker in markers:
        marker.pop("written_at")
    assert markers[0] == markers[1] and markers[0]["page_count"] == stats.pages_yielded
