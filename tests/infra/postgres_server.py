"""A private PostgreSQL server for the infra tests: initdb + pg_ctl on a free loopback port.

Debian's `postgresql` package (scripts/install-system-deps.sh installs it when missing) ships the binaries
under /usr/lib/postgresql/<version>/bin, off PATH. initdb refuses to run as root, so as root the data
directory belongs to the `postgres` user the package creates, and the server runs as that user. The data
directory is a fresh temporary folder (pytest's own temp dirs are private to root), removed afterwards.
Password authentication (scram) is on, so the instance config's `env:` password is really checked.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise FileNotFoundError(f"{name} not found: run scripts/install-system-deps.sh (Debian's postgresql)")
    return candidates[-1]


def create_database(server: dict[str, str], name: str) -> dict[str, str]:
    """A fresh database on `server`, so each test's instance starts empty; returns its DAGSTER_PG_* variables."""
    import psycopg2

    admin = psycopg2.connect(
        host=server["DAGSTER_PG_HOST"],
        port=int(server["DAGSTER_PG_PORT"]),
        user=server["DAGSTER_PG_USER"],
        password=server["DAGSTER_PG_PASSWORD"],
        dbname="postgres",
    )
    admin.autocommit = True  # CREATE DATABASE refuses to run in a transaction
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return {**server, "DAGSTER_PG_DB": name}


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server(port: int) -> Iterator[dict[str, str]]:
    """Yields the DAGSTER_PG_* variables infra/dagster.yaml reads (database `postgres`; see create_database)."""
    root = Path(tempfile.mkdtemp(prefix="gleaner-pg-"))
    data, password = root / "data", secrets.token_hex(16)
    pwfile = root / "pw"
    pwfile.write_text(password)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chown(pwfile, owner.pw_uid, owner.pw_gid)
    quiet = {"capture_output": True, "text": True, "check": True, "timeout": 120}
    subprocess.run(
        _as_server_user(
            [postgres_bin("initdb"), "-D", str(data), "-U", "gleaner", "--auth=scram-sha-256", f"--pwfile={pwfile}"]
        ),
        **quiet,
    )
    pwfile.unlink()
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off"
    pg_ctl = postgres_bin("pg_ctl")
    log = root / "server.log"
    subprocess.run(_as_server_user([pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]), **quiet)
    try:
        yield {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(port),
            "DAGSTER_PG_DB": "postgres",
            "DAGSTER_PG_USER": "gleaner",
            "DAGSTER_PG_PASSWORD": password,
        }
    finally:
        subprocess.run(_as_server_user([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
