"""Class 6 and the faults: two ingests of one partition, two publishes, and runs killed mid-way, all through
the real CLI in subprocesses. Runs of one partition serialize (the second waits and says so), the result equals
a single run, and a killed run leaves nothing that a re-run does not put right or that verify would flag."""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import BIN, ROOT, isolated_environment
from corpus import DATASETS, DAY, gleaner

from gleaner.demo_site import DemoSiteServer
from gleaner.storage import published_versions, verify_versions

pytestmark = pytest.mark.hostile_slow


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory):
    """One `gleaner demo` (crawl, ingest both sources, publish v1); each test works on a copy of it."""
    root = tmp_path_factory.mktemp("demo")
    env = isolated_environment(root)
    result = gleaner(["demo"], env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root


def _copy(demo: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "w"
    shutil.copytree(demo, root, symlinks=True)
    shutil.rmtree(root / "dagster")
    return root, isolated_environment(root)


def _partition_bytes(root: Path, source: str = "acme") -> dict[str, bytes]:
    """raw_pages and every dataset's tables of the partition."""
    paths = [
        *(root / "warehouse").glob(f"*/source={source}/date={DAY}/*.parquet"),
        *(root / "warehouse").glob(f"*/*/source={source}/date={DAY}/*.parquet"),
    ]
    assert len(paths) > 1 + len(DATASETS)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(paths)}


def _versions(root: Path, dataset: str) -> Path:
    return root / "warehouse" / "training_data" / dataset


def _version_bytes(root: Path, version: int) -> dict[str, dict[str, bytes]]:
    """Every dataset's version `version`, file by file."""
    return {
        dataset: {p.name: p.read_bytes() for p in (_versions(root, dataset) / f"v{version}").glob("*.parquet")}
        for dataset in DATASETS
    }


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "gleaner"), *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


def _kill_when(proc: subprocess.Popen, marker: str, deadline: float = 120) -> str:
    """SIGKILL the run's whole process group once its output shows `marker`; returns what it printed."""
    seen, start = [], time.monotonic()
    for line in proc.stdout:
        seen.append(line)
        if marker in line or time.monotonic() - start > deadline:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed mid-way"
    return "".join(seen)


def test_two_ingests_of_one_partition_serialize_and_equal_a_single_run(demo_env, tmp_path):
    root, env = _copy(demo_env, tmp_path)
    single = _partition_bytes(root)
    runs = [_start(["ingest", "--source", "acme", "--date", DAY], env) for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert "Traceback" not in "".join(o + e for o, e in outputs)
    assert sum(f"waiting for another ingest of source=acme date={DAY} to finish" in o for o, _ in outputs) == 1
    assert _partition_bytes(root) == single


def test_two_publishes_at_once_make_one_version(demo_env, tmp_path):
    root, env = _copy(demo_env, tmp_path)
    reference = _version_bytes(root, 1)
    shutil.rmtree(root / "warehouse" / "training_data")  # ingested partitions, nothing published yet
    runs = [_start(["publish"], env) for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    for dataset in DATASETS:
        versions = _versions(root, dataset)
        assert published_versions(versions) == [1] and verify_versions(versions) == [], dataset
    assert _version_bytes(root, 1) == reference


def test_a_publish_killed_mid_way_leaves_nothing_broken_and_a_rerun_publishes_the_same_bytes(demo_env, tmp_path):
    root, env = _copy(demo_env, tmp_path)
    reference = _version_bytes(root, 1)
    shutil.rmtree(root / "warehouse" / "training_data")
    _kill_when(_start(["publish"], env), "labeled_dataset")
    result = gleaner(["publish"], env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for dataset in DATASETS:
        versions = _versions(root, dataset)
        (latest,) = published_versions(versions)
        assert verify_versions(versions) == [], dataset
        assert _version_bytes(root, latest)[dataset] == reference[dataset], dataset
    assert gleaner(["versions", "--verify"], env).returncode == 0


def test_an_ingest_killed_mid_way_is_put_right_by_the_next_run(demo_env, tmp_path):
    root, env = _copy(demo_env, tmp_path)
    single = _partition_bytes(root)
    _kill_when(_start(["ingest", "--source", "acme", "--date", DAY], env), "pages extracted")
    result = gleaner(["ingest", "--source", "acme", "--date", DAY], env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert _partition_bytes(root) == single


def test_the_demo_reuses_a_demo_site_already_serving_on_its_port(demo_env, tmp_path):
    root, env = _copy(demo_env, tmp_path)
    port = int(env["GLEANER_DEMO_URL"].rsplit(":", 1)[1])
    with DemoSiteServer(host="127.0.0.1", port=port):
        result = gleaner(["demo"], env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"a demo site is already serving at {env['GLEANER_DEMO_URL']}: using it" in result.stdout
    for dataset in DATASETS:
        assert f"published: {dataset}_v1 (" in result.stdout, result.stdout
    # what the newcomer asked for: progress lines and the summary, no Dagster DEBUG lines, no empty heading
    # (140 lines for the two built-in datasets' progress and summary blocks; was < 120 with one dataset)
    lines = result.stdout.splitlines()
    assert " - DEBUG - " not in result.stdout and len(lines) < 160, len(lines)
    assert "  labels " in result.stdout and " votes on " in result.stdout
    headings = [i for i, line in enumerate(lines) if line == "  failures by reason:"]
    assert len(headings) == len(DATASETS)  # one per dataset's summary block
    assert all(lines[i + 1].strip()[0].isdigit() for i in headings)
