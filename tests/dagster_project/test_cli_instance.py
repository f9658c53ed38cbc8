"""Several `gleaner` processes opening a fresh Dagster instance at once: each gets it, none fails creating
the SQLite schema the others are creating (the race CI hit with two concurrent ingests)."""

import subprocess
import sys

OPEN_INSTANCE = "from dagster_project.cli import _instance; _instance().get_runs(); print('ok')"


def test_concurrent_first_opens_of_an_instance_all_succeed(tmp_path):
    env = {"DAGSTER_HOME": str(tmp_path / "dagster"), "PATH": "/usr/bin:/bin", "PYTHONPATH": "."}
    command = [sys.executable, "-c", OPEN_INSTANCE]
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)
    ]
    outcomes = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err[-500:] for _, err in outcomes]
    assert all(out.strip() == "ok" for out, _ in outcomes)
