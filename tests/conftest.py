import os
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from dagster_project.instance import ensure_instance_config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))  # measuring tools the benchmarks and tests share (process_memory)
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_environment(root: Path, demo_port: int | None = None) -> dict[str, str]:
    """Environment for a subprocess that runs the real code location against its own warehouse, drops,
    Dagster instance (the project's instance settings) and demo-site port, with no API key, all under ``root``."""
    env = dict(os.environ)
    env.update(
        GLEANER_WAREHOUSE=str(root / "warehouse"),
        GLEANER_DROPS=str(root / "drops"),
        DAGSTER_HOME=str(root / "dagster"),
        GLEANER_DEMO_URL=f"http://127.0.0.1:{demo_port or free_port()}",
    )
    env.pop("ANTHROPIC_API_KEY", None)
    ensure_instance_config(root / "dagster")
    return env


@pytest.fixture
def isolated_env(tmp_path):
    return isolated_environment(tmp_path)


def run_cli(args: list[str], env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(BIN / "gleaner"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"gleaner {' '.join(args)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
    return result


@contextmanager
def background_process(args: list[str], env: dict[str, str], log: Path, grace: float = 30):
    """A server (dagster dev, webserver, daemon) in its own process group, output to `log`, stopped with
    SIGTERM (SIGKILL after `grace` seconds) together with the children it started."""
    with log.open("w") as out:
        process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def chromium_executable(playwright) -> str | None:
    """Playwright's own Chromium when installed, else the system one (Debian's package)."""
    bundled = playwright.chromium.executable_path
    if bundled and Path(bundled).exists():
        return None
    return os.environ.get("GLEANER_CHROMIUM") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 API on loopback (moto's standalone server), shared by the tests that need one."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def label_studio_server(tmp_path_factory):
    """A real Label Studio server (`tests/fakes/label_studio_server.py`), booted once per session."""
    from fakes.label_studio_server import start_server

    running = start_server(tmp_path_factory.mktemp("label-studio"))
    yield running
    running.stop()
