"""A real Label Studio server for tests, installed and started by `scripts/label-studio.sh`.

The first boot of a fresh data dir spends about a minute on migrations, a restart a few seconds. So the
first test session on a machine boots once into a cached template data dir (migrated, admin and token
created) next to the cached virtualenv, and every session after copies the template and restarts from it.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from conftest import ROOT, free_port

from gleaner.labeling.label_studio.api import LabelStudioClient

SCRIPT = ROOT / "scripts" / "label-studio.sh"
TOKEN = "gleaner0test0token00000000000000000000000"
BOOT_TIMEOUT = 420.0


class LabelStudioServer:
    def __init__(self, data_dir: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = TOKEN
        self.data_dir = data_dir
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, venv: Path) -> LabelStudioServer:
        env = {
            **os.environ,
            "GLEANER_LABEL_STUDIO_VENV": str(venv),
            "LABEL_STUDIO_PORT": str(self.port),
            "LABEL_STUDIO_DATA_DIR": str(self.data_dir),
            "LABEL_STUDIO_USER_TOKEN": TOKEN,
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(SCRIPT), "start"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        client = LabelStudioClient(self.url, TOKEN, timeout=2.0, attempts=1)
        deadline = time.monotonic() + BOOT_TIMEOUT
        while not client.health():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Label Studio did not come up; log:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.5)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # our own session: the script and its server
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def install() -> Path:
    result = subprocess.run([str(SCRIPT), "install"], capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def start_server(work: Path) -> LabelStudioServer:
    """Install (cached), make the template data dir once (locked), then serve a copy of it."""
    venv = install()
    template = venv.with_name(venv.name + "-test-data")
    with open(venv.with_name(venv.name + "-test-data.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / ".ready").exists():
            shutil.rmtree(template, ignore_errors=True)
            template.mkdir(parents=True)
            LabelStudioServer(template, work / "label-studio-first-boot.log").start(venv).stop()
            (template / ".ready").touch()
    data = work / "label-studio-data"
    shutil.copytree(template, data)
    return LabelStudioServer(data, work / "label-studio.log").start(venv)
