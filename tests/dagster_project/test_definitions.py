import subprocess

import dagster as dg
from conftest import BIN, ROOT


def test_definitions_validate_through_dagster_cli():
    result = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _spec_snapshot(defs: dg.Definitions) -> dict:
    """Every asset spec, check spec, job, schedule and sensor as plain data, so a graph change is a diff."""
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": list(node.owners),
            "code_version": node.code_version,
            "pools": sorted(node.pools or ()),
            "partitioned": node.partitions_def is not None,
            "description": node.description,
            "checks": {
                check.name: {"blocking": spec.blocking, "description": spec.description}
                for check in sorted(node.check_keys, key=lambda c: c.name)
                if (spec := graph.get_check_spec(check))
            },
        }
        every_partition = sorted(  # a partitioned asset reading every partition of a partitioned parent
            p.to_user_string()
            for p in node.parent_keys
            if node.partitions_def is not None
            and graph.get(p).partitions_def is not None
            and isinstance(graph.get_partition_mapping(key, p), dg.AllPartitionMapping)
        )
        if every_partition:
            assets[key.to_user_string()]["every_partition_of"] = every_partition
    return {
        "assets": assets,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": sorted(s.name for s in defs.schedules),
        "sensors": sorted(s.name for s in defs.sensors),
    }


def test_graph_matches_the_stored_snapshot(snapshot):
    """Keys, lineage, groups, kinds, owners, code versions, pools and check specs against
    `__snapshots__/test_definitions.ambr`; `pytest --snapshot-update` rewrites it for a reviewed change."""
    from dagster_project.definitions import defs

    assert _spec_snapshot(defs) == snapshot


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
    assert "anthropic" in graph.get(dg.AssetKey(["review_sentiment", "labels"])).kinds
    assert "labelstudio" in graph.get(dg.AssetKey(["review_sentiment", "review_tasks"])).kinds


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
    assert pools["review_sentiment/labeled_dataset"] == pools["review_sentiment/training_data"] == {"dataset"}
    config = yaml.safe_load(ensure_instance_config(tmp_path / "home").read_text())
    assert config["concurrency"]["pools"] == {"granularity": "run", "default_limit": 1}
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:  # Dagster reads the file
        pool_config = instance.get_concurrency_config().pool_config
        assert (pool_config.default_pool_limit, str(pool_config.pool_granularity)) == (1, "PoolGranularity.RUN")


def test_a_process_that_loads_the_code_location_collects_its_young_generation_in_bulk():
    """dagster_project.lib.garbage: a run's process makes full collections about 28 times rarer; a higher
    threshold already set is kept, and the older generations' are left alone."""
    import sys

    script = (
        "import gc, sys; gc.set_threshold(int(sys.argv[1]), 7, 9); import dagster_project.definitions; "
        "print(*gc.get_threshold())"
    )
    for before, after in (("700", "20000 7 9"), ("50000", "50000 7 9")):
        shown = subprocess.run([sys.executable, "-c", script, before], cwd=ROOT, capture_output=True, text=True)
        assert shown.stdout.split() == after.split(), shown.stderr
