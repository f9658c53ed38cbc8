"""The deployment's process layout, reproduced for tests: the image's code server (its CMD, read from
infra/Dockerfile) and a workspace that reaches it over gRPC, as the webserver and daemon do in a cluster."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from conftest import BIN, ROOT

DOCKERFILE = ROOT / "infra" / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """infra/Dockerfile as (INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def image_env() -> dict[str, str]:
    env = {}
    for keyword, rest in instructions():
        if keyword == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", rest)))
    return env


def workdir() -> str:
    return [rest for keyword, rest in instructions() if keyword == "WORKDIR"][-1]


def image_cmd() -> list[str]:
    (cmd,) = [json.loads(rest) for keyword, rest in instructions() if keyword == "CMD"]
    return cmd


def code_server_command(port: int) -> list[str]:
    """The image's CMD with this checkout's `dagster`, on `port`, bound to loopback (the image binds
    0.0.0.0 for its pod or task network; a test stays on 127.0.0.1)."""
    cmd = image_cmd()
    assert cmd[:3] == ["dagster", "code-server", "start"], cmd
    cmd[0] = str(BIN / "dagster")
    cmd[cmd.index("-p") + 1] = str(port)
    cmd[cmd.index("-h") + 1] = "127.0.0.1"
    return cmd


def grpc_workspace(path: Path, port: int) -> Path:
    """What the Helm chart writes for the webserver and daemon: the code location over gRPC."""
    path.write_text(
        f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {port}\n      location_name: gleaner\n"
    )
    return path


def wait_serving(port: int, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    check = [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(port), "-h", "127.0.0.1"]
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"code server exited:\n{log.read_text()[-4000:]}")
        if subprocess.run(check, capture_output=True, timeout=30).returncode == 0:
            return
        time.sleep(1)
    pytest.fail(f"code server never answered its health check:\n{log.read_text()[-4000:]}")
