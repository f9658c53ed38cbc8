"""infra/helm/values.yaml, validated offline as far as this machine allows.

No `helm` binary, no chart and no kubeconform can be installed from the registries this machine reaches, so
`helm template` cannot run here (infra/README.md says how to run it where it can). What is checked instead:
- the instance settings the chart derives from our values (its instance helpers, mirrored in `chart_instance`
  for the keys we set) pass Dagster's own instance schema, and the run launcher block passes
  `K8sRunLauncher.config_type()` from dagster-k8s;
- `runK8sConfig` converts into Kubernetes client models (dagster-k8s refuses unknown fields), and the run
  pod and the code server pod built from our values validate against the Kubernetes 1.33 OpenAPI schema
  (kubernetes-validate, which ships the schemas);
- memory requests cover the measured peaks, and the `dataset` pool stays at one run.
"""

import pytest
import yaml
from conftest import ROOT
from dagster._config import process_config

VALUES = yaml.safe_load((ROOT / "infra" / "helm" / "values.yaml").read_text())
LAUNCHER = VALUES["runLauncher"]["config"]["k8sRunLauncher"]
(CODE_SERVER,) = VALUES["dagster-user-deployments"]["deployments"]
K8S_VERSION = "1.33"
MIB = 1024**2
# Measured peaks (infra/README.md "Figures"): an ingest run of 100k records, Chromium over a 90-page crawl.
INGEST_PEAK, CRAWL_PEAK = 1.3e9, 318e6


def chart_instance(values: dict) -> dict:
    """The dagster.yaml the chart's configmap-instance writes, for the keys these values use."""
    pg, launcher, concurrency = values["postgresql"], values["runLauncher"]["config"]["k8sRunLauncher"], {}
    if values["concurrency"]["pools"]:
        pools = values["concurrency"]["pools"]
        concurrency["pools"] = {"default_limit": pools["defaultLimit"], "granularity": pools["granularity"]}
    if values["concurrency"]["runs"]:
        concurrency["runs"] = {"max_concurrent_runs": values["concurrency"]["runs"]["maxConcurrentRuns"]}
    run_k8s = {
        snake: launcher["runK8sConfig"][camel]
        for camel, snake in (("containerConfig", "container_config"), ("podSpecConfig", "pod_spec_config"))
        if camel in launcher["runK8sConfig"]
    }
    return {
        "storage": {
            "postgres": {
                "postgres_db": {
                    "username": pg["postgresqlUsername"],
                    "password": {"env": "DAGSTER_PG_PASSWORD"},
                    "hostname": pg["postgresqlHost"],
                    "db_name": pg["postgresqlDatabase"],
                    "port": pg["service"]["port"],
                    "params": pg["postgresqlParams"],
                    "scheme": pg["postgresqlScheme"],
                }
            }
        },
        "run_launcher": {
            "module": "dagster_k8s",
            "class": "K8sRunLauncher",
            "config": {
                "load_incluster_config": launcher["loadInclusterConfig"],
                "job_namespace": "gleaner",
                "image_pull_policy": launcher["imagePullPolicy"],
                "service_account_name": "gleaner-dagster",
                "dagster_home": "/opt/dagster/dagster_home",
                "instance_config_map": "gleaner-dagster-instance",
                "postgres_password_secret": values["global"]["postgresqlSecretName"],
                "env_secrets": [s["name"] for s in launcher["envSecrets"]],
                "volume_mounts": launcher["volumeMounts"],
                "volumes": launcher["volumes"],
                "run_k8s_config": run_k8s,
            },
        },
        "concurrency": concurrency,
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
    }


def test_the_chart_instance_passes_dagsters_instance_schema_and_the_k8s_run_launcher(monkeypatch):
    from dagster._core.instance.config import dagster_instance_config_schema
    from dagster_k8s import K8sRunLauncher

    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "test-only")  # `env:` sources are resolved while checking

    instance = chart_instance(VALUES)
    checked = process_config(dagster_instance_config_schema(), instance)
    assert checked.success, [e.message for e in checked.errors]
    launcher = process_config(K8sRunLauncher.config_type(), instance["run_launcher"]["config"])
    assert launcher.success, [e.message for e in launcher.errors]


def test_a_misspelt_key_is_caught_by_the_same_checks():
    """The checks above can fail: a wrong launcher key and a wrong container field are refused."""
    from dagster_k8s import K8sRunLauncher
    from dagster_k8s.job import UserDefinedDagsterK8sConfig

    config = chart_instance(VALUES)["run_launcher"]["config"] | {"image_pul_policy": "Always"}
    assert not process_config(K8sRunLauncher.config_type(), config).success
    with pytest.raises(Exception, match="resorces"):
        UserDefinedDagsterK8sConfig.from_dict({"container_config": {"resorces": {}}})


def test_run_pods_and_the_code_server_pod_are_valid_kubernetes():
    import kubernetes_validate
    from dagster_k8s.job import UserDefinedDagsterK8sConfig

    run_k8s = chart_instance(VALUES)["run_launcher"]["config"]["run_k8s_config"]
    UserDefinedDagsterK8sConfig.from_dict(run_k8s)  # raises on a field the Kubernetes models lack
    run_container = {"name": "dagster", "image": "gleaner:sha", **run_k8s["container_config"]}
    run_container["volumeMounts"] = LAUNCHER["volumeMounts"]
    run_pod = {**run_k8s["pod_spec_config"], "containers": [run_container], "volumes": LAUNCHER["volumes"]}
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "dagster-run-x"},
        "spec": {"template": {"spec": run_pod | {"restartPolicy": "Never"}}},
    }
    kubernetes_validate.validate(job, K8S_VERSION, strict=True)
    code_server = {
        "name": CODE_SERVER["name"],
        "image": "gleaner:sha",
        "args": ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", str(CODE_SERVER["port"])]
        + CODE_SERVER["codeServerArgs"],
        "env": CODE_SERVER["env"],
        "envFrom": [{"secretRef": s} for s in CODE_SERVER["envSecrets"]],
        "resources": CODE_SERVER["resources"],
        "securityContext": CODE_SERVER["securityContext"],
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "gleaner-code-server"},
        "spec": {"securityContext": CODE_SERVER["podSecurityContext"], "containers": [code_server]},
    }
    kubernetes_validate.validate(pod, K8S_VERSION, strict=True)


def _bytes(quantity: str) -> float:
    units = {"Mi": MIB, "Gi": 1024 * MIB}
    return float(quantity[:-2]) * units[quantity[-2:]]


def test_requests_cover_the_measured_peaks_and_the_dataset_pool_is_one_run():
    resources = LAUNCHER["runK8sConfig"]["containerConfig"]["resources"]
    assert _bytes(resources["requests"]["memory"]) >= INGEST_PEAK + CRAWL_PEAK
    assert _bytes(resources["limits"]["memory"]) > _bytes(resources["requests"]["memory"])
    assert VALUES["concurrency"]["pools"] == {"granularity": "run", "defaultLimit": 1}
    infra_instance = yaml.safe_load((ROOT / "infra" / "dagster.yaml").read_text())
    assert chart_instance(VALUES)["concurrency"] == infra_instance["concurrency"]  # one setting, both deployments
    assert VALUES["postgresql"]["postgresqlPassword"] == "" and not VALUES["generatePostgresqlPasswordSecret"]
