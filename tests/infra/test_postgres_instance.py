"""The production instance config (infra/dagster.yaml) on a real PostgreSQL server.

One server for the module (tests/infra/postgres_server.py), one database per test. The CLI path: the
demo's ingest and publish as subprocesses, with runs, events and versions landing in Postgres and no
SQLite file in DAGSTER_HOME. The deployment path: `dagster-webserver` and `dagster-daemon run` as separate
processes reaching the image's code server over gRPC (as in a cluster), a two-day partition backfill
launched through the webserver and run by the daemon, then the drop sensor's cursor read back from
Postgres by a restarted daemon while the runs it requested go on.
"""

import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import BIN, ROOT, background_process, free_port, isolated_environment, run_cli
from deployment import code_server_command, grpc_workspace, wait_serving
from e2e.test_ui import BACKFILL, BACKFILL_STATUS, _graphql, _wait_until_up  # the UI test's GraphQL helpers
from postgres_server import create_database, postgres_server
from support.graph import BUILT_IN_DATASETS as DATASETS

pytestmark = pytest.mark.e2e

INSTANCE_YAML = ROOT / "infra" / "dagster.yaml"
REPO = {"repositoryLocationName": "gleaner", "repositoryName": "__repository__"}
SENSOR = {**REPO, "sensorName": "drop_sensor"}
START_SENSOR = """
mutation Start($selector: SensorSelector!) { startSensor(sensorSelector: $selector) {
  __typename ... on PythonError { message } } }
"""
SENSOR_STATE = """
query Sensor($selector: SensorSelector!) { sensorOrError(sensorSelector: $selector) { __typename
  ... on Sensor { sensorState { status typeSpecificData { ... on SensorData { lastCursor } }
    ticks(limit: 20) { status timestamp skipReason runIds cursor } } } } }
"""


@pytest.fixture(scope="module")
def pg_server():
    with postgres_server(free_port()) as server:
        yield server


def postgres_environment(root: Path, server: dict[str, str], db: str, demo_port: int) -> dict[str, str]:
    """isolated_environment, with infra/dagster.yaml as the instance and its variables pointing at `db`."""
    home = root / "dagster"
    home.mkdir(parents=True)
    shutil.copy(INSTANCE_YAML, home / "dagster.yaml")  # present first, so the local settings are not written
    env = isolated_environment(root, demo_port)
    env.update(create_database(server, db))
    return env


@contextmanager
def instance_for(env: dict[str, str]):
    """The instance as the processes see it, read in this process with their variables."""
    import dagster as dg

    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith("DAGSTER_PG_")})
    try:
        with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            yield instance
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _sqlite_files(home: Path) -> list[str]:
    return [str(p.relative_to(home)) for p in home.rglob("*.db")]


def test_demo_ingest_and_publish_store_runs_and_events_in_postgres(pg_server, tmp_path):
    from dagster import AssetKey, DagsterRunStatus
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    from gleaner.demo_site import DemoSiteServer

    site_port = free_port()
    env = postgres_environment(tmp_path, pg_server, "cli", site_port)
    with DemoSiteServer(host="127.0.0.1", port=site_port):
        ingest = run_cli(["ingest", "--source", "acme", "--date", "2026-11-20", "--crawl"], env)
    publish = run_cli(["publish"], env)
    listing = run_cli(["versions"], env).stdout
    for dataset in DATASETS:  # both built-in datasets publish from the one source-day
        assert f"published: {dataset}_v1 (" in publish.stdout, publish.stdout
        assert f'"version": "{dataset}_v1"' in listing

    with instance_for(env) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        runs = instance.get_runs()
        assert sorted(r.job_name for r in runs) == ["ingest_partition", "publish_training_data"]
        assert {r.status for r in runs} == {DagsterRunStatus.SUCCESS}
        for dataset in DATASETS:
            published = instance.fetch_materializations(AssetKey([dataset, "training_data"]), limit=5).records
            assert len(published) == 1, dataset
    assert _sqlite_files(Path(env["DAGSTER_HOME"])) == []  # nothing fell back to the SQLite default
    password = env["DAGSTER_PG_PASSWORD"]
    assert password not in ingest.stdout + ingest.stderr + publish.stdout + publish.stderr


def _wait_for(what: str, probe, timeout: float, interval: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def _sensor_state(base: str) -> dict:
    return _graphql(base, SENSOR_STATE, {"selector": SENSOR})["data"]["sensorOrError"]["sensorState"]


def test_backfill_runs_through_the_daemon_and_the_sensor_cursor_survives_a_restart(pg_server, tmp_path):
    """The cluster's layout: the image's code server, a webserver and a daemon reaching it over gRPC."""
    from dagster import DagsterRunStatus, RunsFilter

    from gleaner.demo_site import DemoSiteServer

    site_port, ui_port, grpc_port = free_port(), free_port(), free_port()
    env = postgres_environment(tmp_path, pg_server, "daemon", site_port)
    workspace = str(grpc_workspace(tmp_path / "workspace.yaml", grpc_port))
    base = f"http://127.0.0.1:{ui_port}"
    webserver = [str(BIN / "dagster-webserver"), "-w", workspace, "-h", "127.0.0.1", "-p", str(ui_port)]
    daemon = [str(BIN / "dagster-daemon"), "run", "-w", workspace]
    with (
        DemoSiteServer(host="127.0.0.1", port=site_port),
        background_process(code_server_command(grpc_port), env, tmp_path / "code-server.log") as code_server,
    ):
        wait_serving(grpc_port, code_server, tmp_path / "code-server.log")
        with background_process(webserver, env, tmp_path / "webserver.log") as web:
            _wait_until_up(base, web, tmp_path / "webserver.log", time.monotonic() + 180)
            with background_process(daemon, env, tmp_path / "daemon-1.log", grace=60):
                params = {
                    "selector": {"partitionSetName": "ingest_partition_partition_set", "repositorySelector": REPO},
                    "partitionNames": ["2026-11-18|acme", "2026-11-19|acme"],
                    "tags": [{"key": "gleaner/crawl", "value": "true"}],  # no drops for these days: crawl
                }
                backfill = _graphql(base, BACKFILL, {"params": params})["data"]["launchPartitionBackfill"]
                assert backfill["__typename"] == "LaunchBackfillSuccess", backfill

                def finished():
                    outcome = _graphql(base, BACKFILL_STATUS, {"id": backfill["backfillId"]})
                    outcome = outcome["data"]["partitionBackfillOrError"]
                    return outcome if outcome["status"].startswith(("COMPLETED", "FAILED", "CANCELED")) else None

                outcome = _wait_for("the backfill", finished, 900, 3)
                statuses = {r["partitionName"]: r["runStatus"] for r in outcome["partitionStatuses"]["results"]}
                assert statuses == {"2026-11-18|acme": "SUCCESS", "2026-11-19|acme": "SUCCESS"}, outcome

                # Each backfilled crawl left a scrape drop: the sensor's first tick requests their runs.
                started = _graphql(base, START_SENSOR, {"selector": SENSOR})["data"]["startSensor"]
                assert started["__typename"] == "Sensor", started
                first = _wait_for("a drop_sensor tick with runs", lambda: _ticks_with_runs(base), 180)
                cursor = first["cursor"]
                assert cursor and len(first["runIds"]) == 2, first
            # The runs live in the code server's processes (their own containers in a cluster), so the
            # daemon restarts under them, as a deploy would restart it.
            restarted_at = time.time()
            with background_process(daemon, env, tmp_path / "daemon-2.log", grace=60):
                # minimum_interval_seconds=30 counts from the last tick, which the new daemon reads from Postgres
                later = _wait_for("a tick of the restarted daemon", lambda: _tick_after(base, restarted_at), 180)
                with instance_for(env) as instance:
                    drop_runs = RunsFilter(run_ids=first["runIds"])
                    _wait_for(
                        "the drop runs to finish",
                        lambda: all(r.is_finished for r in instance.get_runs(filters=drop_runs)),
                        900,
                        5,
                    )
                    assert {r.status for r in instance.get_runs(filters=drop_runs)} == {DagsterRunStatus.SUCCESS}
            state = _sensor_state(base)
    assert later["status"] == "SKIPPED" and later["skipReason"] == "no new complete drops", later
    assert later["runIds"] == [] and later["cursor"] == cursor  # read back, not rebuilt from scratch
    assert state["typeSpecificData"]["lastCursor"] == cursor
    with instance_for(env) as instance:
        assert len(instance.get_runs(filters=RunsFilter(job_name="ingest_partition"))) == 4  # 2 backfill + 2 drops
    assert _sqlite_files(Path(env["DAGSTER_HOME"])) == []


def _tick_after(base: str, moment: float) -> dict | None:
    ticks = _sensor_state(base)["ticks"]
    return next((t for t in ticks if t["timestamp"] > moment and t["status"] != "STARTED"), None)


def _ticks_with_runs(base: str) -> dict | None:
    return next((t for t in _sensor_state(base)["ticks"] if t["runIds"]), None)
