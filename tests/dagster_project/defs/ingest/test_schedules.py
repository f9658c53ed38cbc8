"""The daily schedule, and a backfill of a date range giving the bytes of the original runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import pytest
from fakes.browser_procs import assert_no_browser_left, marked_browsers

from dagster_project.definitions import defs
from dagster_project.defs.ingest.assets import raw_pages
from dagster_project.defs.ingest.schedules import daily_ingest
from dagster_project.lib.partitions import SOURCES, partition_key
from dagster_project.resources.browser import BrowserResource
from dagster_project.resources.drops import DropsResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.demo_site import DemoSiteServer, build_site
from gleaner.drops import CRAWL_TAG

DATES = ("2026-11-20", "2026-11-21")


def test_the_daily_schedule_crawls_every_source_for_the_day_that_ended() -> None:
    schedule = defs.resolve_schedule_def(daily_ingest.name)  # an asset job's schedule resolves against the graph
    assert schedule.cron_schedule == "0 2 * * *"
    context = dg.build_schedule_context(
        instance=dg.DagsterInstance.ephemeral(), scheduled_execution_time=datetime(2026, 11, 21, 2, tzinfo=UTC)
    )
    result = schedule.evaluate_tick(context)
    assert sorted(str(r.partition_key) for r in result.run_requests) == [f"2026-11-20|{s}" for s in sorted(SOURCES)]
    assert {r.job_name for r in result.run_requests} == {"ingest_partition"}
    assert all(r.tags.get(CRAWL_TAG) == "true" for r in result.run_requests)  # a day with no drop is crawled


@pytest.fixture
def demo_acme(monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoSiteServer]:
    with marked_browsers(), DemoSiteServer(build_site()) as server:
        start = server.url("/acme/products?page=1")
        monkeypatch.setitem(SOURCES, "acme", SOURCES["acme"].model_copy(update={"start_urls": [start]}))
        yield server
    assert_no_browser_left()


def test_a_backfill_gives_the_same_bytes_as_the_original_runs(tmp_path: Path, demo_acme: DemoSiteServer) -> None:
    resources = {
        "warehouse": WarehouseResource(root=str(tmp_path / "warehouse")),
        "drops": DropsResource(root=str(tmp_path / "drops")),
        "browser": BrowserResource(),
    }
    instance = dg.DagsterInstance.ephemeral()

    def run_range() -> dict[str, bytes]:
        for day in DATES:
            result = dg.materialize(
                [raw_pages],
                partition_key=partition_key("acme", day),
                resources=resources,
                instance=instance,
                tags={CRAWL_TAG: "true"},
            )
            assert result.success
        files = sorted((tmp_path / "warehouse" / "raw_pages").glob("**/*.parquet"))
        return {str(f.relative_to(tmp_path)): f.read_bytes() for f in files}

    original = run_range()
    crawled = sum(demo_acme.hits.values())
    backfill = run_range()
    assert len(original) == len(DATES) and backfill == original
    assert sum(demo_acme.hits.values()) == crawled  # the backfill read the partitions' drops, it did not recrawl
