"""The whole graph with `GLEANER_WAREHOUSE=s3://bucket/prefix`, against moto's S3 server on loopback.

One `gleaner demo` run feeds the tests: every asset's Parquet (of both built-in datasets), their dedup
indexes, their versions and the catalog's views live in the bucket (the catalog file itself is local and reads
the bucket through httpfs).
"""

import hashlib
import json
import subprocess
import time

import duckdb
import pytest
from conftest import BIN, ROOT, isolated_environment, run_cli
from dagster_aws.s3 import S3Resource
from support.graph import ASSETS as GRAPH_ASSETS
from support.graph import BUILT_IN_DATASETS as DATASETS

from dagster_project.defs.dataset.publish import training_data_asset
from dagster_project.lib.datasets import DATASETS as SPECS
from dagster_project.resources.warehouse import S3WarehouseResource
from gleaner.storage.backends import S3Settings, load_httpfs, s3_secret_sql

pytestmark = pytest.mark.e2e

BUCKET, PREFIX = "gleaner-e2e", "team/warehouse"
# every asset's table, plus each dataset's dedup band index; versions (training_data) are checked apart
ASSETS = [a for a in GRAPH_ASSETS if not a.endswith("/training_data")] + [f"{d}/dedup_index" for d in DATASETS]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, s3_server):
    tmp = tmp_path_factory.mktemp("s3e2e")
    env = isolated_environment(tmp)
    env.update(
        GLEANER_WAREHOUSE=f"s3://{BUCKET}/{PREFIX}",
        GLEANER_STATE=str(tmp / "state"),
        AWS_ENDPOINT_URL=s3_server,
        AWS_ACCESS_KEY_ID="e2e-key",
        AWS_SECRET_ACCESS_KEY="e2e-secret",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
    )
    env.pop("AWS_PROFILE", None)
    env.pop("GLEANER_CATALOG", None)
    s3 = S3Resource(
        endpoint_url=s3_server, aws_access_key_id="e2e-key", aws_secret_access_key="e2e-secret",
        region_name="us-east-1",
    )  # fmt: skip
    client = s3.get_client()
    client.create_bucket(Bucket=BUCKET)
    started = time.monotonic()
    output = run_cli(["demo"], env).stdout
    print(f"gleaner demo on S3 took {time.monotonic() - started:.1f}s")
    warehouse = S3WarehouseResource(root=env["GLEANER_WAREHOUSE"], s3=s3, state_dir=env["GLEANER_STATE"])
    return {"env": env, "tmp": tmp, "client": client, "warehouse": warehouse, "output": output}


def versions_untampered(warehouse: S3WarehouseResource, dataset: str):
    """The dataset's `versions_untampered` asset check, invoked directly."""
    _, check = training_data_asset(SPECS[dataset])
    return check(warehouse)


def keys(client, under: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{PREFIX}/{under}")
    return [obj["Key"][len(PREFIX) + 1 :] for page in pages for obj in page.get("Contents", [])]


def test_every_asset_and_the_versions_live_in_the_bucket(demo):
    client = demo["client"]
    for dataset in DATASETS:
        assert f"published: {dataset}_v1 (" in demo["output"], demo["output"]
    for asset in ASSETS:
        assert any(k.endswith(".parquet") for k in keys(client, f"{asset}/")), asset
    assert not (demo["tmp"] / "warehouse").exists()  # nothing of the warehouse was written locally
    for dataset in DATASETS:
        assert f"{dataset}/labeled_dataset/summary.json" in keys(client, f"{dataset}/labeled_dataset/")
        version = f"training_data/{dataset}/v1"
        manifest = json.loads(demo["warehouse"].store.read_bytes(f"{version}/manifest.json"))
        assert manifest["name"] == f"{dataset}_v1" and "dataset.json" in manifest["files"]
        assert set(keys(client, f"{version}/")) == {f"{version}/{n}" for n in [*manifest["files"], "manifest.json"]}
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(demo["warehouse"].store.read_bytes(f"{version}/{name}")).hexdigest() == digest
        partitions = manifest["input_partitions"]
        assert partitions and all(
            len(v["deduped_records"]) == 64 and len(v["labels"]) == 64 for v in partitions.values()
        )
    card = demo["warehouse"].store.read_bytes("training_data/review_sentiment/v1/README.md").decode()
    assert "```mermaid\npie showData" in card


def _s3_session(con, demo) -> None:
    env = demo["env"]
    load_httpfs(con)
    settings = S3Settings(
        "us-east-1", env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], None, env["AWS_ENDPOINT_URL"]
    )
    con.execute(s3_secret_sql(settings))


def test_catalog_views_answer_through_httpfs(demo):
    manifests = {
        d: json.loads(demo["warehouse"].store.read_bytes(f"training_data/{d}/v1/manifest.json")) for d in DATASETS
    }
    catalog = demo["warehouse"].catalog_path
    assert catalog.is_file() and str(catalog).startswith(str(demo["tmp"] / "state"))
    con = duckdb.connect(str(catalog), read_only=True)
    _s3_session(con, demo)
    assert (
        con.execute("SELECT count(*) FROM review_sentiment_v1").fetchone()[0]
        == manifests["review_sentiment"]["rows"]
        > 20
    )
    assert con.execute("SELECT count(*) FROM training_data_v1").fetchone()[0] == manifests["review_sentiment"]["rows"]
    assert (
        con.execute("SELECT count(*) FROM product_entities_v1").fetchone()[0]
        == manifests["product_entities"]["rows"]
        > 5
    )
    for dataset in DATASETS:
        deduped, removed = (
            con.execute(f"SELECT count(*) FROM {dataset}_{v}").fetchone()[0]
            for v in ("deduped_records", "near_duplicates")
        )
        assert con.execute(f"SELECT count(*) FROM {dataset}_canonical_records").fetchone()[0] == deduped + removed
    # any reader rebuilds the same views from the catalog.sql in the bucket
    fresh = duckdb.connect()
    _s3_session(fresh, demo)
    fresh.execute(demo["warehouse"].store.read_bytes("catalog.sql").decode())
    for dataset in DATASETS:
        assert fresh.execute(f"SELECT count(*) FROM {dataset}_v1").fetchone()[0] == manifests[dataset]["rows"]
    assert fresh.execute("SELECT count(*) FROM training_data_v1").fetchone()[0] == manifests["review_sentiment"]["rows"]


def test_republish_same_content_publishes_nothing_and_tampering_fails_loudly(demo):
    env, client = demo["env"], demo["client"]
    out = run_cli(["publish"], env)
    # the run's log lines are the CLI's progress lines, on stdout
    for dataset in DATASETS:
        assert f"{dataset}_v2" not in out.stdout, out.stdout
        assert f"identical to {dataset}_v1; nothing new published" in out.stdout, out.stdout
        assert not keys(client, f"training_data/{dataset}/v2/")
    listing = run_cli(["versions", "--verify"], env).stdout
    for dataset in DATASETS:
        assert f'"version": "{dataset}_v1"' in listing
    assert "verified" in listing

    key = f"{PREFIX}/training_data/review_sentiment/v1/test.parquet"
    client.put_object(Bucket=BUCKET, Key=key, Body=b"not the published bytes")
    check = versions_untampered(demo["warehouse"], "review_sentiment")
    assert check.passed is False and "v1/test.parquet" in check.description
    assert versions_untampered(demo["warehouse"], "product_entities").passed is True
    tampered = subprocess.run(
        [str(BIN / "gleaner"), "versions", "--verify"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert tampered.returncode == 1 and "TAMPERED review_sentiment: v1/test.parquet" in tampered.stderr
    assert "product_entities:" not in tampered.stderr  # the other dataset's version is untouched
