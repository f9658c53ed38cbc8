"""Finding the browser processes a test started, through an environment marker they inherit.

Playwright's driver and every Chromium process it launches inherit this process's environment, so a
variable set before the crawl starts tags exactly the processes of this test run, not a colleague's.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MARK_VAR = "GLEANER_TEST_BROWSER_MARK"
MARK = uuid.uuid4().hex


@contextmanager
def marked_browsers() -> Iterator[None]:
    previous = os.environ.get(MARK_VAR)
    os.environ[MARK_VAR] = MARK
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MARK_VAR, None)
        else:
            os.environ[MARK_VAR] = previous


def _marked(pid: int) -> bool:
    try:
        return f"{MARK_VAR}={MARK}".encode() in (Path("/proc") / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return False


def browser_processes() -> list[int]:
    """Live processes (Playwright driver, Chromium and its helpers) started under the marker."""
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and int(entry.name) != os.getpid() and _marked(int(entry.name))
    ]


def chromium_browser_processes() -> list[int]:
    """The main Chromium process of each marked browser (not its renderers, GPU or zygote helpers)."""
    found = []
    for pid in browser_processes():
        try:
            argv = (Path("/proc") / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        name = Path(argv[0].decode(errors="replace")).name
        if "chrom" in name and "crashpad" not in name and not any(arg.startswith(b"--type=") for arg in argv):
            found.append(pid)
    return found


def zombie_children() -> list[int]:
    zombies = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and int(fields[1]) == os.getpid():
            zombies.append(int(entry.name))
    return zombies


def assert_no_browser_left() -> None:
    deadline = time.monotonic() + 10
    while (browser_processes() or zombie_children()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert browser_processes() == [] and zombie_children() == []
