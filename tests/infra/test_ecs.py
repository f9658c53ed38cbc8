"""infra/ecs: the instance fragment and the task definitions, validated offline.

The dagster.yaml goes through Dagster's own loader (`dagster_instance_config`: the instance schema, with
`env:` sources resolved) and its run launcher and compute log blocks through `EcsRunLauncher` and
`S3ComputeLogManager`'s config schemas. Each task definition is checked against the input shape of ECS's
RegisterTaskDefinition from botocore's service model (the check boto3 makes before any request), and
against the fragment: the run task's family, container and size are what the launcher names.
"""

import json
import re
import shutil

import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator
from conftest import ROOT
from dagster._config import process_config
from deployment import image_cmd

ECS = ROOT / "infra" / "ecs"
TASKS = {p.stem: json.loads(p.read_text()) for p in sorted((ECS / "task-definitions").glob("*.json"))}
INSTANCE = yaml.safe_load((ECS / "dagster.yaml").read_text())


@pytest.fixture
def pg_env(monkeypatch):
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_DB", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD"):
        monkeypatch.setenv(name, "test-only")
    monkeypatch.setenv("DAGSTER_PG_PORT", "5432")
    monkeypatch.setenv("GLEANER_COMPUTE_LOGS_BUCKET", "gleaner-test")


def test_dagster_loads_the_ecs_instance_config(tmp_path, pg_env):
    from dagster._core.instance.config import dagster_instance_config

    shutil.copy(ECS / "dagster.yaml", tmp_path / "dagster.yaml")
    config, custom_class = dagster_instance_config(str(tmp_path))
    assert custom_class is None
    assert config["run_launcher"]["class"] == "EcsRunLauncher"
    assert config["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"


def test_the_run_launcher_and_compute_logs_pass_their_classes_schemas(pg_env):
    from dagster_aws.ecs import EcsRunLauncher
    from dagster_aws.s3.compute_log_manager import S3ComputeLogManager

    launcher = process_config(EcsRunLauncher.config_type(), INSTANCE["run_launcher"]["config"])
    assert launcher.success, [e.message for e in launcher.errors]
    logs = process_config(S3ComputeLogManager.config_type(), INSTANCE["compute_logs"]["config"])
    assert logs.success, [e.message for e in logs.errors]
    wrong = INSTANCE["run_launcher"]["config"] | {"task_defintion": "x"}
    assert not process_config(EcsRunLauncher.config_type(), wrong).success  # the check can fail


def _register_shape():
    return botocore.session.get_session().get_service_model("ecs").operation_model("RegisterTaskDefinition").input_shape


@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_definition_is_a_valid_register_task_definition_input(name):
    report = ParamValidator().validate(TASKS[name], _register_shape())
    assert not report.has_errors(), report.generate_report()


def test_a_wrong_task_definition_is_refused():
    broken = json.loads(json.dumps(TASKS["run"]))
    broken["containerDefinitions"][0]["memoryReservation"] = "lots"
    assert ParamValidator().validate(broken, _register_shape()).has_errors()


def test_run_task_matches_the_launcher_and_keeps_secrets_out_of_the_environment():
    launcher = INSTANCE["run_launcher"]["config"]
    run = TASKS["run"]
    assert run["family"] == launcher["task_definition"]
    assert [c["name"] for c in run["containerDefinitions"]] == [launcher["container_name"]]
    assert (run["cpu"], run["memory"]) == (launcher["run_resources"]["cpu"], launcher["run_resources"]["memory"])
    for name, task in TASKS.items():
        (container,) = task["containerDefinitions"]
        env = {e["name"]: e["value"] for e in container["environment"]}
        assert env["DAGSTER_HOME"] == "/opt/dagster/ecs", name  # where infra/Dockerfile puts this dagster.yaml
        assert not [k for k in env if re.search(r"KEY|PASSWORD|TOKEN|SECRET", k)], name
        assert {s["name"] for s in container["secrets"]} >= {"DAGSTER_PG_PASSWORD", "ANTHROPIC_API_KEY"}
        assert all(s["valueFrom"].startswith("arn:aws:secretsmanager:") for s in container["secrets"])
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    assert "cp infra/ecs/dagster.yaml /opt/dagster/ecs/dagster.yaml" in dockerfile


def test_webserver_and_daemon_reach_the_code_server_on_its_port():
    workspace = yaml.safe_load((ECS / "workspace.yaml").read_text())
    (grpc,) = [entry["grpc_server"] for entry in workspace["load_from"]]
    (code_server,) = TASKS["code-server"]["containerDefinitions"]
    assert [p["containerPort"] for p in code_server["portMappings"]] == [grpc["port"]]
    cmd = image_cmd()
    assert cmd[cmd.index("-p") + 1] == str(grpc["port"])  # the image's code server listens there
    assert grpc["location_name"] == "gleaner"
    for name in ("webserver", "daemon"):
        (container,) = TASKS[name]["containerDefinitions"]
        assert "/opt/gleaner/infra/ecs/workspace.yaml" in container["command"], name
