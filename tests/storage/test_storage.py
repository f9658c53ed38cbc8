"""The warehouse backends: a local folder and S3 (moto's server on loopback) behave the same."""

from __future__ import annotations

import uuid
from pathlib import Path

import polars as pl
import pytest
from conftest import ROOT
from dagster_aws.s3 import S3Resource

from dagster_project.resources.warehouse import S3WarehouseResource, WarehouseResource
from gleaner.storage import warehouse as wh
from gleaner.storage.backends import LocalStore, S3Settings, S3Store, Store, s3_secret_sql
from gleaner.storage.versions import VersionConflict, publish, published_versions, read_manifest, verify_versions

PARTITION = {"source": "acme", "date": "2026-11-20"}
OTHER = {"source": "globex", "date": "2026-11-21"}


def s3_resource(endpoint: str) -> S3Resource:
    return S3Resource(
        endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1",
        max_attempts=1,
    )  # fmt: skip


def s3_warehouse(endpoint: str, tmp_path: Path) -> S3WarehouseResource:
    bucket = f"wh-{uuid.uuid4().hex[:10]}"
    s3 = s3_resource(endpoint)
    s3.get_client().create_bucket(Bucket=bucket)
    return S3WarehouseResource(root=f"s3://{bucket}/some/prefix", s3=s3, state_dir=str(tmp_path / "state"))


@pytest.fixture(params=["local", "s3"])
def resource(request, tmp_path: Path) -> WarehouseResource:
    if request.param == "local":
        return WarehouseResource(root=str(tmp_path / "warehouse"))
    return s3_warehouse(request.getfixturevalue("s3_server"), tmp_path)


def frame(ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame({"record_id": ids, "text": [f"text of {i}" for i in ids]})


def test_bytes_are_written_whole_listed_and_created_exclusively(resource: WarehouseResource) -> None:
    store = resource.store
    assert store.list_keys("a") == [] and not store.exists("a/x.bin")
    store.write_bytes("a/x.bin", b"one")
    store.write_bytes("a/b/y.bin", b"two")
    store.write_bytes("a/x.bin", b"three")  # an ordinary write replaces
    assert store.read_bytes("a/x.bin") == b"three" and store.exists("a/b/y.bin")
    assert store.list_keys("a") == ["a/b/y.bin", "a/x.bin"] and store.top_level() == ["a"]
    with pytest.raises(FileNotFoundError):
        store.read_bytes("a/missing.bin")
    store.create_exclusive("a/manifest.json", b"first")
    with pytest.raises(FileExistsError):  # O_EXCL locally, If-None-Match: * answered 412 on S3
        store.create_exclusive("a/manifest.json", b"second")
    assert store.read_bytes("a/manifest.json") == b"first"
    assert store.sub("a").list_keys("b") == ["b/y.bin"]


def test_frames_partitions_and_data_versions(resource: WarehouseResource, tmp_path: Path) -> None:
    assert resource.read("records", PARTITION) is None and resource.read_all("records") is None
    assert not resource.has_data("records")
    resource.write("records", frame(["r1", "r2"]), PARTITION)
    resource.write("records", frame(["r3"]), OTHER)
    assert resource.has_data("records")
    assert resource.read("records", PARTITION)["record_id"].to_list() == ["r1", "r2"]
    assert sorted(resource.read_all("records")["record_id"].to_list()) == ["r1", "r2", "r3"]
    versions = resource.partition_data_versions("records")
    assert set(versions) == {"source=acme/date=2026-11-20", "source=globex/date=2026-11-21"}
    # the same rows give the same bytes, hence the same data version, on either backend
    local = WarehouseResource(root=str(tmp_path / "reference"))
    local.write("records", frame(["r1", "r2"]), PARTITION)
    assert (
        local.partition_data_versions("records")["source=acme/date=2026-11-20"]
        == versions["source=acme/date=2026-11-20"]
    )
    with resource.query() as con:  # DuckDB reads the globs: httpfs on S3
        count, own = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE starts_with(filename, ?)) FROM read_parquet(?, filename = true)",
            [resource.partition_location("records", PARTITION) + "/", resource.asset_glob("records")],
        ).fetchone()
    assert (count, own) == (3, 2)


def test_catalog_views_and_catalog_sql(resource: WarehouseResource) -> None:
    resource.write("records", frame(["r1", "r2"]), PARTITION)
    resource.write("topics/labels", frame(["r1"]), PARTITION)  # a dataset's table
    resource.write("topics/labeled_dataset", frame(["r2"]))  # and an unpartitioned one
    resource.write_file("llm_cache/part-1.parquet", wh.parquet_bytes(frame(["x"])))  # a cache, not an asset
    publish(resource.versions("review_sentiment"), {"train.parquet": wh.parquet_bytes(frame(["r1"]))}, {})
    publish(resource.versions("topics"), {"train.parquet": wh.parquet_bytes(frame(["r2"]))}, {})
    assert resource.refresh_catalog(["records"]) == [
        "records", "topics_labeled_dataset", "topics_labels", "review_sentiment_v1", "training_data_v1", "topics_v1",
    ]  # fmt: skip
    with resource.connect_catalog() as con:
        assert con.execute("SELECT count(*) FROM records").fetchone()[0] == 2
        assert con.execute("SELECT record_id FROM topics_labels").fetchall() == [("r1",)]
        assert con.execute("SELECT record_id FROM training_data_v1").fetchall() == [("r1",)]
        assert con.execute("SELECT record_id FROM review_sentiment_v1").fetchall() == [("r1",)]
        assert con.execute("SELECT record_id FROM topics_v1").fetchall() == [("r2",)]
    sql = resource.store.read_bytes("catalog.sql").decode()
    assert "CREATE OR REPLACE VIEW training_data_v1" in sql and "llm_cache" not in sql
    assert resource.location in sql and "SECRET" not in sql and "KEY_ID" not in sql  # no credentials in it


def test_versions_publish_once_refuse_a_second_writer_and_detect_tampering(resource: WarehouseResource) -> None:
    versions = resource.versions("review_sentiment")
    first = publish(versions, {"train.parquet": b"a"}, {"rows": 1}, render_card=lambda m: f"# {m['name']}")
    assert (first.version, first.created) == (1, True)
    assert publish(versions, {"train.parquet": b"a"}, {"rows": 1}).created is False
    assert publish(versions, {"train.parquet": b"b"}, {"rows": 1}).version == 2
    assert published_versions(versions) == [1, 2] and read_manifest(versions, 1)["files"].keys() == {
        "train.parquet",
        "README.md",
    }

    # A second publisher that looked before v2 existed: its exclusive write of v2's first file is refused.
    late = resource.versions("review_sentiment")
    late.exists = lambda key: False  # type: ignore[method-assign]
    import gleaner.storage.versions as versioning

    original = versioning.published_versions, versioning.taken_versions
    versioning.published_versions = versioning.taken_versions = lambda root: [1]
    try:
        with pytest.raises(VersionConflict):
            publish(late, {"train.parquet": b"c"}, {"rows": 1})
    finally:
        versioning.published_versions, versioning.taken_versions = original
    assert (
        read_manifest(versions, 2)["content_sha256"]
        == publish(versions, {"train.parquet": b"b"}, {}).manifest["content_sha256"]
    )

    assert verify_versions(versions) == []
    versions.write_bytes("v1/train.parquet", b"tampered")
    assert verify_versions(versions) == ["v1/train.parquet: sha256 differs from the manifest (tampered)"]


def test_s3_conditional_put_is_refused_by_the_server(s3_server: str) -> None:
    """The raw protocol, without our wrapper: a second PUT with If-None-Match: * gets 412."""
    from botocore.exceptions import ClientError

    client = s3_resource(s3_server).get_client()
    client.create_bucket(Bucket="conditional")
    client.put_object(Bucket="conditional", Key="m.json", Body=b"1", IfNoneMatch="*")
    with pytest.raises(ClientError) as refused:
        client.put_object(Bucket="conditional", Key="m.json", Body=b"2", IfNoneMatch="*")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert client.get_object(Bucket="conditional", Key="m.json")["Body"].read() == b"1"


def test_duckdb_secret_is_session_only_and_settings_never_print_credentials() -> None:
    settings = S3Settings("eu-west-1", "AKIDEXAMPLE", "s3cr3t", None, "http://127.0.0.1:9000")
    sql = s3_secret_sql(settings)
    assert sql.startswith("CREATE OR REPLACE TEMPORARY SECRET") and "URL_STYLE 'path'" in sql
    assert "USE_SSL false" in sql and "ENDPOINT '127.0.0.1:9000'" in sql
    assert "s3cr3t" not in repr(settings) and "AKIDEXAMPLE" not in repr(settings)
    store: Store = S3Store(client=None, bucket="b", prefix="p/", settings=settings)
    assert store.location("x/**/*.parquet") == "s3://b/p/x/**/*.parquet"
    assert LocalStore("/tmp/w").location("x") == "/tmp/w/x"


def _doc_lines(marker: str) -> list[str]:
    """The one-liners of docs/storage.md's code block that follows `marker`."""
    text = (ROOT / "docs" / "storage.md").read_text()
    block = text.split(marker, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_documented_one_liners_read_a_version(resource: WarehouseResource, monkeypatch, tmp_path: Path) -> None:
    import duckdb

    from dagster_project.resources.warehouse import warehouse_from_env

    if not isinstance(resource, S3WarehouseResource):  # the docs' relative .gleaner/warehouse
        monkeypatch.chdir(tmp_path)
        resource = WarehouseResource(root=str(tmp_path / ".gleaner" / "warehouse"))
    rows = frame(["r1", "r2", "r3"])
    publish(resource.versions("review_sentiment"), {"train.parquet": wh.parquet_bytes(rows)}, {})
    resource.refresh_catalog()
    monkeypatch.setenv("GLEANER_WAREHOUSE", resource.root)
    if isinstance(resource, S3WarehouseResource):
        monkeypatch.setenv("GLEANER_STATE", resource.state_dir)
        for name, value in {
            "AWS_ENDPOINT_URL": resource.s3.endpoint_url, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true",
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        lines = [line.replace("s3://bucket/prefix", resource.root) for line in _doc_lines("S3 warehouse (")]
    else:
        lines = _doc_lines("Local warehouse,")
    assert len(lines) == 3
    from gleaner.storage import version_paths

    names = {"pl": pl, "duckdb": duckdb, "warehouse_from_env": warehouse_from_env, "version_paths": version_paths}
    polars_frame, pandas_frame, relation = (eval(line, names) for line in lines)
    assert polars_frame["record_id"].to_list() == ["r1", "r2", "r3"]
    assert type(pandas_frame).__module__.startswith("pandas") and len(pandas_frame) == 3
    assert relation.fetchall() == rows.rows()


def test_identities_change_with_any_write_and_only_then(resource: WarehouseResource) -> None:
    store = resource.store
    store.write_bytes("v/a.bin", b"one")
    store.write_bytes("v/b.bin", b"two")
    before = store.identities("v")
    assert sorted(before) == ["v/a.bin", "v/b.bin"] and store.identities("elsewhere") == {}
    assert store.identities("v") == before  # reading the listing again changes nothing
    store.write_bytes("v/a.bin", b"ONE")  # the same size, other bytes
    after = store.identities("v")
    assert after["v/a.bin"] != before["v/a.bin"] and after["v/b.bin"] == before["v/b.bin"]


def test_a_check_with_a_ledger_reads_a_changed_version_on_either_backend(resource: WarehouseResource) -> None:
    from gleaner.storage.versions import verify_versions_since

    versions = resource.versions("review_sentiment")
    for n in (2, 3):
        publish(versions, {"train.parquet": wh.parquet_bytes(frame([f"r{i}" for i in range(n)]))}, {"rows": n})
    ledger = verify_versions_since(versions, None).ledger
    assert verify_versions_since(versions, ledger, scrub=0).rehashed == []  # nothing changed: nothing read
    if isinstance(versions, S3Store):  # an overwrite on S3; locally the file is read-only, as published
        versions.write_bytes("v1/train.parquet", b"x" * len(versions.read_bytes("v1/train.parquet")))
    else:
        target = Path(versions.location("v1/train.parquet"))
        target.chmod(0o644)
        target.write_bytes(b"x" * target.stat().st_size)
    found = verify_versions_since(versions, ledger, scrub=0)
    assert found.rehashed == [1] and found.unchanged == [2]
    assert found.problems == ["v1/train.parquet: sha256 differs from the manifest (tampered)"]


def _row_groups(data: bytes, tmp_path: Path) -> int:
    import duckdb

    path = tmp_path / "groups.parquet"
    path.write_bytes(data)
    return duckdb.sql(f"select count(distinct row_group_id) from parquet_metadata('{path}')").fetchone()[0]


def test_a_large_frame_is_written_in_row_groups_that_threads_share_and_the_same_rows_give_the_same_bytes(tmp_path):
    """About 16 MiB of content a row group (polars compresses and decodes groups on parallel threads), sized
    from the values, so rows built in pieces or filtered from a larger frame write the same bytes."""
    page = "<p>" + "x" * (2**20 - 7) + "</p>"  # 1 MiB of HTML a row
    frame = pl.DataFrame({"id": [f"p{i:02d}" for i in range(40)], "html": [page] * 40, "n": list(range(40))})
    assert wh.content_bytes(frame) == 40 * 2**20 + 40 * 3 + 8 * 40
    data = wh.parquet_bytes(frame)
    assert _row_groups(data, tmp_path) == 3
    assert pl.read_parquet(data).equals(frame)
    pieces = pl.concat([frame.slice(0, 7), frame.slice(7)], rechunk=False)
    filtered = pl.concat([frame, frame.with_columns(n=pl.col("n") + 100)]).filter(pl.col("n") < 100)
    assert wh.parquet_bytes(pieces) == data == wh.parquet_bytes(filtered)
    small = pl.DataFrame({"id": ["a", "b"], "text": ["one", None]})
    assert _row_groups(wh.parquet_bytes(small), tmp_path) == 1
    assert pl.read_parquet(wh.parquet_bytes(small.clear())).is_empty()
