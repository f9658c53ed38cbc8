"""A data engineer's view: `dagster dev` on loopback, opened in headless Chromium, one partition launched.

The run is launched through the webserver's GraphQL API (what the UI's button calls), then the asset
pages are checked in the browser and a screenshot of the graph is saved under the test's temp dir.
"""

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import BIN, ROOT, background_process, chromium_executable, free_port, isolated_environment
from support.graph import ASSETS, BUILT_IN_DATASETS

pytestmark = pytest.mark.e2e

SCREENSHOT_FOR_README = ROOT / "docs" / "asset-graph.png"

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
LOCATIONS = """
query { workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""
STATUS = "query Status($id: ID!) { runOrError(runId: $id) { __typename ... on Run { status } } }"
BACKFILL = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}
"""
BACKFILL_STATUS = """
query BackfillStatus($id: String!) { partitionBackfillOrError(backfillId: $id) {
  __typename ... on PartitionBackfill { status partitionStatuses { results { partitionName runStatus } } } } }
"""
AUTOMATION = """
query { repositoryOrError(repositorySelector: {repositoryLocationName: "gleaner", repositoryName: "__repository__"}) {
  ... on Repository { schedules { name scheduleState { status } } sensors { name sensorState { status } } } } }
"""
LATEST = """
query Latest($key: AssetKeyInput!) { assetOrError(assetKey: $key) { ... on Asset {
  assetMaterializations(limit: 1) { partition metadataEntries { label __typename } } } } }
"""


def _graphql(base: str, query: str, variables: dict) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _wait_until_up(base: str, process: subprocess.Popen, log: Path, deadline: float) -> None:
    """Up means the code location has loaded, not just that the webserver answers."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster dev exited early:\n{log.read_text()[-4000:]}")
        try:
            entries = _graphql(base, LOCATIONS, {})["data"]["workspaceOrError"]["locationEntries"]
        except (OSError, KeyError, TypeError):
            entries = []
        for entry in entries:
            if entry["name"] == "gleaner" and entry["loadStatus"] == "LOADED":
                loaded = entry["locationOrLoadError"]
                assert loaded["__typename"] == "RepositoryLocation", f"code location failed to load: {loaded}"
                return
        time.sleep(1)
    pytest.fail(f"dagster dev did not come up:\n{log.read_text()[-4000:]}")


@pytest.fixture
def dagster_dev(tmp_path):
    from gleaner.demo_site import DemoSiteServer

    site_port, ui_port = free_port(), free_port()
    env = isolated_environment(tmp_path, site_port)
    log = tmp_path / "dagster-dev.log"
    dev = [str(BIN / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(ui_port)]
    with DemoSiteServer(host="127.0.0.1", port=site_port), background_process(dev, env, log) as process:
        base = f"http://127.0.0.1:{ui_port}"
        _wait_until_up(base, process, log, time.monotonic() + 180)
        yield base, tmp_path


def _catalog_name(asset: str) -> str:
    """How the asset catalog writes a key: `review_sentiment / labels`."""
    return asset.replace("/", " / ")


def _skip_community_dialog(page) -> None:
    skip = page.get_by_text("Skip", exact=True)  # the first-visit "join the community" dialog
    if skip.count():
        skip.first.click()
        page.wait_for_timeout(500)


def test_ui_lists_every_asset_and_runs_a_partition(dagster_dev):
    from playwright.sync_api import sync_playwright

    base, tmp_path = dagster_dev
    launched = _graphql(
        base,
        LAUNCH,
        {
            "params": {
                "selector": {
                    "repositoryLocationName": "gleaner",
                    "repositoryName": "__repository__",
                    "jobName": "ingest_partition",
                },
                "executionMetadata": {
                    "tags": [
                        {"key": "dagster/partition", "value": "2026-11-20|acme"},
                        {"key": "gleaner/crawl", "value": "true"},  # no drop yet: crawl, as asked
                    ]
                },
            }
        },
    )["data"]["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline, status = time.monotonic() + 300, None
    while time.monotonic() < deadline:
        status = _graphql(base, STATUS, {"id": run_id})["data"]["runOrError"]["status"]
        if status in {"SUCCESS", "FAILURE", "CANCELED"}:
            break
        time.sleep(2)
    assert status == "SUCCESS", f"run {run_id} ended {status}"

    # The README's "backfill a week", as the UI does it: a partition backfill the daemon of `dagster dev` runs.
    backfill = _graphql(
        base,
        BACKFILL,
        {
            "params": {
                "selector": {
                    "partitionSetName": "ingest_partition_partition_set",
                    "repositorySelector": {"repositoryLocationName": "gleaner", "repositoryName": "__repository__"},
                },
                "partitionNames": ["2026-11-18|acme", "2026-11-19|acme"],
                "tags": [{"key": "gleaner/crawl", "value": "true"}],
            }
        },
    )["data"]["launchPartitionBackfill"]
    assert backfill["__typename"] == "LaunchBackfillSuccess", backfill
    deadline, outcome = time.monotonic() + 420, None
    while time.monotonic() < deadline:
        outcome = _graphql(base, BACKFILL_STATUS, {"id": backfill["backfillId"]})["data"]["partitionBackfillOrError"]
        if outcome["status"] in {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}:
            break
        time.sleep(3)
    runs = {r["partitionName"]: r["runStatus"] for r in outcome["partitionStatuses"]["results"]}
    assert runs == {"2026-11-18|acme": "SUCCESS", "2026-11-19|acme": "SUCCESS"}, outcome

    automation = _graphql(base, AUTOMATION, {})["data"]["repositoryOrError"]
    states = {s["name"]: s["scheduleState"]["status"] for s in automation["schedules"]}
    states |= {s["name"]: s["sensorState"]["status"] for s in automation["sensors"]}
    assert states == dict.fromkeys(["ingest_partition_schedule", "drop_sensor", "label_studio_sensor"], "STOPPED")
    per_dataset = [[d, a] for d in BUILT_IN_DATASETS for a in ("canonical_records", "deduped_records", "labels")]
    for asset in [["raw_pages"], *per_dataset]:
        (latest,) = _graphql(base, LATEST, {"key": {"path": asset}})["data"]["assetOrError"]["assetMaterializations"]
        entries = {e["label"]: e["__typename"] for e in latest["metadataEntries"]}
        assert latest["partition"] in {"2026-11-18|acme", "2026-11-19|acme", "2026-11-20|acme"}, asset
        assert entries["dagster/row_count"] == "IntMetadataEntry", (asset, entries)
        assert entries["dagster/column_schema"] == "TableSchemaMetadataEntry", (asset, entries)
        assert entries["preview"] == "MarkdownMetadataEntry", (asset, entries)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_executable(p),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"],
        )
        try:
            page = browser.new_page(viewport={"width": 1800, "height": 900})
            # the catalog renders only the rows in view: tall enough for every asset of every dataset
            page.set_viewport_size({"width": 1800, "height": 3000})
            page.goto(f"{base}/assets", wait_until="domcontentloaded")
            page.get_by_text(_catalog_name(ASSETS[-1]), exact=True).first.wait_for(timeout=60_000)
            text = page.inner_text("body")
            missing = [a for a in ASSETS if _catalog_name(a) not in text]
            assert not missing, f"assets page lacks {missing}"
            page.set_viewport_size({"width": 1800, "height": 900})
            page.goto(f"{base}/assets/product_entities/labeled_dataset?view=checks", wait_until="domcontentloaded")
            page.get_by_text("span_agreement").first.wait_for(timeout=60_000)  # the span dataset's own gate
            page.goto(f"{base}/assets/review_sentiment/labeled_dataset?view=checks", wait_until="domcontentloaded")
            page.get_by_text("no_split_leak").first.wait_for(timeout=60_000)
            page.wait_for_timeout(2000)
            _skip_community_dialog(page)
            checks_text = page.inner_text("body")
            assert "kappa" in checks_text and "class_balance" in checks_text and "no_empty_split" in checks_text
            assert "blocking" in checks_text and "at most 1.5x the smallest" in checks_text  # the threshold, shown
            page.wait_for_timeout(1000)
            checks_shot = tmp_path / "asset-checks.png"
            page.screenshot(path=str(checks_shot))
            if os.environ.get("GLEANER_UPDATE_SCREENSHOT"):
                (ROOT / "docs" / "asset-checks.png").write_bytes(checks_shot.read_bytes())
            page.goto(f"{base}/asset-groups", wait_until="domcontentloaded")
            page.get_by_text("Global asset lineage").first.wait_for(timeout=60_000)
            page.wait_for_timeout(2000)
            _skip_community_dialog(page)
            page.mouse.click(1000, 800, button="right")
            page.get_by_role("menuitem", name="Expand all groups").click()
            for name in dict.fromkeys(a.rsplit("/", 1)[-1] for a in ASSETS):  # a node shows its key's last part
                page.get_by_text(name, exact=True).first.wait_for(timeout=30_000)
            page.wait_for_timeout(1500)
            shot = tmp_path / "asset-graph.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 10_000
            if os.environ.get("GLEANER_UPDATE_SCREENSHOT"):
                SCREENSHOT_FOR_README.write_bytes(shot.read_bytes())
        finally:
            browser.close()
