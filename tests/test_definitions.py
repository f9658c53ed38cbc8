import subprocess

import dagster as dg
from conftest import BIN, ROOT

ASSETS = (  # the graph people rely on; other tests import it
    "raw_pages",
    "canonical_records",
    "failed_records",
    "deduped_records",
    "near_duplicates",
    "human_labels",
    "labels",
    "review_tasks",
    "labeled_dataset",
    "training_data",
)


def test_definitions_validate_through_dagster_cli():
    result = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_graph_snapshot():
    """Catches accidental changes to the graph people rely on: asset keys, lineage, jobs, schedules."""
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == set(ASSETS)
    parents = {
        k.to_user_string(): {p.to_user_string() for p in graph.get(k).parent_keys} for k in graph.get_all_asset_keys()
    }
    assert parents["canonical_records"] == {"raw_pages"}
    assert parents["deduped_records"] == {"canonical_records"}
    assert parents["labels"] == {"deduped_records", "human_labels"}
    assert parents["review_tasks"] == {"labels", "deduped_records"}
    assert "labels" in parents["labeled_dataset"] and parents["training_data"] == {"labeled_dataset"}
    assert {j.name for j in defs.resolve_all_job_defs()} >= {"ingest_partition", "publish_training_data"}
    assert [s.name for s in defs.schedules] == ["ingest_partition_schedule"]
    assert [s.name for s in defs.sensors] == ["drop_sensor", "label_studio_sensor"]
    checks = {k.name for k in graph.asset_check_keys}
    assert {
        "schema",
        "kappa",
        "class_balance",
        "no_split_leak",
        "no_empty_split",
        "pages_reconcile",
        "records_reconcile",
        "every_record_resolved_once",
        "versions_untampered",
    } <= checks


def test_partition_of_accepts_both_key_forms():
    import dagster as dg

    from dagster_project.lib.partitions import partition_of

    expected = {"source": "acme", "date": "2026-11-20"}
    as_string = dg.build_asset_context(partition_key="2026-11-20|acme")
    assert partition_of(as_string) == expected
    as_key = dg.build_asset_context(partition_key=dg.MultiPartitionKey({"date": "2026-11-20", "source": "acme"}))
    assert partition_of(as_key) == expected


def test_every_asset_says_who_owns_it_what_it_runs_on_and_where_it_lives():
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners == ["team:data-engineering"], key
        assert node.group_name in {"ingest", "records", "labels", "dataset"}, key
        assert node.code_version, key
        kinds = node.kinds
        assert "parquet" in kinds and "s3" not in kinds, (key, kinds)  # the tests' warehouse is a folder
        assert kinds & {"polars", "duckdb"}, (key, kinds)
    assert "playwright" in graph.get(dg.AssetKey("raw_pages")).kinds
    assert "anthropic" in graph.get(dg.AssetKey("labels")).kinds
    assert "labelstudio" in graph.get(dg.AssetKey("review_tasks")).kinds


def test_an_s3_warehouse_shows_as_the_s3_kind(monkeypatch):
    from dagster_project.lib.specs import stage

    monkeypatch.setenv("GLEANER_WAREHOUSE", "s3://bucket/prefix")
    assert stage("records", {"polars"}, "1")["kinds"] == {"polars", "s3"}
    monkeypatch.setenv("GLEANER_WAREHOUSE", "/tmp/warehouse")
    assert stage("records", {"polars"}, "1")["kinds"] == {"polars", "parquet"}


def test_one_candidate_build_or_publish_runs_at_a_time(tmp_path):
    import yaml

    from dagster_project.definitions import defs
    from dagster_project.instance import ensure_instance_config

    graph = defs.resolve_asset_graph()
    pools = {k.to_user_string(): graph.get(k).pools for k in graph.get_all_asset_keys()}
    assert pools["labeled_dataset"] == pools["training_data"] == {"dataset"}
    config = yaml.safe_load(ensure_instance_config(tmp_path / "home").read_text())
    assert config["concurrency"]["pools"] == {"granularity": "run", "default_limit": 1}
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:  # Dagster reads the file
        pool_config = instance.get_concurrency_config().pool_config
        assert (pool_config.default_pool_limit, str(pool_config.pool_granularity)) == (1, "PoolGranularity.RUN")
