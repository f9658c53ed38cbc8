"""The container image (infra/Dockerfile), checked as far as a machine without a Docker engine allows.

`docker build` needs a daemon this machine does not run, so the file is linted with hadolint (pinned in the
dev extra) and the image's CMD is run as written against this checkout, with the Dockerfile's ENV (its
/opt/gleaner paths mapped to the checkout, the port to a free one, the host to loopback): a webserver-style
workspace that points at it over gRPC must list the jobs. Without the production variables the location
must refuse to load, naming them: the image carries no value of its own.
"""

import re
import subprocess
from pathlib import Path

from conftest import BIN, ROOT, background_process, free_port
from deployment import (
    DOCKERFILE,
    code_server_command,
    grpc_workspace,
    image_env,
    instructions,
    wait_serving,
    workdir,
)

PROD = {  # names only matter here: nothing connects while the definitions load
    "GLEANER_WAREHOUSE": "s3://gleaner-test/warehouse",
    "GLEANER_DROPS_S3": "s3://gleaner-test/drops",
    "ANTHROPIC_API_KEY": "sk-test-not-a-key",
    "LABEL_STUDIO_URL": "http://127.0.0.1:9",
    "LABEL_STUDIO_API_KEY": "ls-test-not-a-key",
}


def test_hadolint_passes():
    result = subprocess.run([str(BIN / "hadolint"), str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_bookworm_python311_non_root_with_debian_chromium_and_the_pins():
    steps = instructions()
    (base,) = [rest for keyword, rest in steps if keyword == "FROM"]
    assert re.fullmatch(r"python:3\.11[.\d]*-slim-bookworm", base), base
    user = [rest for keyword, rest in steps if keyword == "USER"][-1]
    assert user.split(":")[0] not in {"0", "root"}
    runs = " ".join(rest for keyword, rest in steps if keyword == "RUN")
    assert "apt-get install -y --no-install-recommends chromium" in runs
    assert "pip install --no-cache-dir -c constraints.txt -e ." in runs
    # the project's bytecode and the dedup kernels' machine code are built in, not redone by every run
    assert "python -m compileall -q gleaner dagster_project" in runs and "python -m gleaner.dedup.precompile" in runs
    assert "python -m gleaner.extract.langid_model" in runs  # into its GLEANER_CACHE_DIR, owned by the user
    assert image_env()["GLEANER_CACHE_DIR"].startswith("/opt/dagster/") and "chown -R 10001:10001 /opt/dagster" in runs
    assert image_env()["GLEANER_CHROMIUM"] == "/usr/bin/chromium"
    # no secret is baked in: no ARG at all, no ENV whose name says key, password, token or secret
    assert not [rest for keyword, rest in steps if keyword == "ARG"]
    assert not [name for name in image_env() if re.search(r"KEY|PASSWORD|TOKEN|SECRET", name)]


def _list_jobs(port: int, tmp_path) -> subprocess.CompletedProcess:
    workspace = grpc_workspace(tmp_path / "workspace.yaml", port)
    return subprocess.run(
        [str(BIN / "dagster"), "job", "list", "-w", str(workspace)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _serve(tmp_path, name: str, extra: dict[str, str]):
    port = free_port()
    # The image's paths: its checkout is this one, its /opt/dagster (instance home, numba cache) a temp dir.
    image_paths = {workdir(): str(ROOT), "/opt/dagster": str(tmp_path / "opt-dagster")}
    env = {}
    for key, value in image_env().items():
        for image_path, here in image_paths.items():
            value = value.replace(image_path, here)
        env[key] = value
    env |= {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)} | extra
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    log = tmp_path / f"{name}.log"
    return port, log, background_process(code_server_command(port), env, log)


def test_the_image_command_serves_the_code_location(tmp_path):
    port, log, server = _serve(tmp_path, "prod", PROD)
    with server as process:
        wait_serving(port, process, log)
        listed = _list_jobs(port, tmp_path)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "ingest_partition" in listed.stdout and "publish_training_data" in listed.stdout, listed.stdout
    served = log.read_text()
    assert not [value for name, value in PROD.items() if name.endswith("KEY") and value in served]


def test_without_the_production_variables_the_location_refuses_to_load(tmp_path):
    port, log, server = _serve(tmp_path, "bare", {})
    with server as process:
        wait_serving(port, process, log)
        listed = _list_jobs(port, tmp_path)
    output = listed.stdout + listed.stderr + log.read_text()
    assert "ingest_partition" not in listed.stdout
    assert "GLEANER_ENV=prod needs" in output and "GLEANER_WAREHOUSE" in output, output[-3000:]


def test_the_build_step_fills_the_images_numba_cache(tmp_path):
    """The image's `python -m gleaner.dedup.precompile` writes the kernels' machine code under its
    NUMBA_CACHE_DIR, where a run container's first dedup loads it instead of compiling."""
    cache = tmp_path / "numba"
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "NUMBA_CACHE_DIR": str(cache)}
    result = subprocess.run(
        [str(BIN / "python"), "-m", "gleaner.dedup.precompile"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert image_env()["NUMBA_CACHE_DIR"] == "/opt/dagster/numba"
    kernels = {path.name.split("-")[0] for path in cache.rglob("*.nbi")}
    assert {
        *("minhash._signature_kernel", "shingles._shingle_kernel", "unionfind._keep_earliest"),
        *("jaccard._sort_distinct", "jaccard._shared_counts", "digests._sha256_kernel"),
    } <= kernels
