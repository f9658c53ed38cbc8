"""The review loop against a real Label Studio server: push, annotate as people would, sense, re-resolve."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import polars as pl
import pytest
from fakes.anthropic_standin import AnthropicStandIn, ok
from fakes.label_studio_server import LabelStudioServer

from dagster_project.defs.labels.assets import human_labels_asset, labels_asset, review_tasks_asset
from dagster_project.defs.labels.sensors import label_studio_sensor
from dagster_project.lib.datasets import DATASETS
from dagster_project.lib.partitions import partition_key
from dagster_project.resources.label_studio import LabelStudioResource
from dagster_project.resources.llm import LLMLabelerResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.demo_site.annotations import simulated_lead_time
from gleaner.labeling.label_studio.api import LabelStudioClient, LabelStudioError, LabelStudioUnavailable
from gleaner.labeling.label_studio.export import FROM_NAME, TO_NAME

KEY = "sk-ant-label-studio-test-0123456789abcdef"
DATASET = "review_sentiment"
_declared = DATASETS[DATASET]
# rules never label a record alone here: with unsure LLM votes, every record goes to review; the LLM is asked
# about every record (scope `all`), people's labels included, so its agreement with them is measured
SPEC = _declared.model_copy(
    update={
        "review": _declared.review.model_copy(update={"allow_rule_consensus": False}),
        "llm": _declared.llm.model_copy(update={"scope": "all"}),
    }
)
human_labels, labels, review_tasks = human_labels_asset(SPEC), labels_asset(SPEC), review_tasks_asset(SPEC)
PARTITION = {"source": "acme", "date": "2026-11-20"}
KEY_OF_PARTITION = partition_key(PARTITION["source"], PARTITION["date"])
RECORDS = [
    ("r1", "Great <b>kettle</b>, mail me at ann@example.com", 5.0),
    ("r2", "Broke after a week", 1.0),
    ("r3", "Fine blender, does the job", 4.0),
    ("r4", "Not sure what to think of this toaster", 3.0),
]
FIRST = {"r1": "positive", "r2": "negative", "r3": "positive", "r4": "negative"}
SECOND = {"r1": "positive", "r2": "negative", "r3": "positive", "r4": "positive"}

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(label_studio_server: LabelStudioServer) -> LabelStudioServer:
    return label_studio_server


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[LLMLabelerResource]:
    """Unsure LLM votes (positive at 0.6): every record needs review, with the LLM's guess pre-annotated."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    with AnthropicStandIn(KEY) as api:
        api.set_default(ok("positive", confidence=0.6))
        yield LLMLabelerResource(api_key=dg.EnvVar("ANTHROPIC_API_KEY"), base_url=api.base_url, timeout_seconds=5.0)


def _warehouse(root: Path) -> WarehouseResource:
    warehouse = WarehouseResource(root=str(root))
    frame = pl.DataFrame(
        [{"record_id": r, "text": t, "rating": s} for r, t, s in RECORDS],
        schema={"record_id": pl.String, "text": pl.String, "rating": pl.Float64},
    )
    warehouse.write(f"{DATASET}/deduped_records", frame, PARTITION)
    return warehouse


def _materialize(assets: list, **resources: object) -> dg.ExecuteInProcessResult:
    result = dg.materialize(assets, partition_key=KEY_OF_PARTITION, resources=resources)
    assert result.success
    return result


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, object]:
    [materialization] = result.asset_materializations_for_node(f"{DATASET}__{asset}")
    return {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}


def _resolved(warehouse: WarehouseResource) -> dict[str, tuple[str | None, str]]:
    frame = warehouse.read(f"{DATASET}/labels", PARTITION).filter(pl.col("annotator_kind") == "resolved")
    return {r["record_id"]: (r["label"], r["status"]) for r in frame.iter_rows(named=True)}


def _annotate(client: LabelStudioClient, task_id: int, label: str, user_id: int | None = None) -> None:
    """As a person would, with the seconds they spent (10 to 30, seeded by task and person), as the UI sends."""
    result = [{"from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices", "value": {"choices": [label]}}]
    seconds = simulated_lead_time(f"{user_id}/{task_id}")
    client.annotate(task_id, result, completed_by=user_id, lead_time=seconds)  # the admin submits for the second


def test_review_loop_against_a_real_server(server: LabelStudioServer, llm: LLMLabelerResource, tmp_path: Path):
    warehouse = _warehouse(tmp_path / "warehouse")
    studio = LabelStudioResource(url=server.url, api_key=server.token, project_title=f"gleaner {uuid.uuid4().hex[:8]}")
    common = {"warehouse": warehouse, "label_studio": studio, "llm": llm}

    _materialize([labels], warehouse=warehouse, llm=llm)
    assert {status for _, status in _resolved(warehouse).values()} == {"needs_review"}

    pushed = _metadata(_materialize([review_tasks], warehouse=warehouse, label_studio=studio), "review_tasks")
    assert pushed["tasks_created"] == 4 and pushed["tasks_already_there"] == 0
    again = _metadata(_materialize([review_tasks], warehouse=warehouse, label_studio=studio), "review_tasks")
    assert again["tasks_created"] == 0 and again["tasks_already_there"] == 4

    client = studio.client()
    project = studio.project_id(SPEC)
    assert client.find_project(f"{studio.project_title}: {DATASET}")["id"] == project  # the dataset's own project
    tasks = {t["data"]["record_id"]: t for t in client.tasks(project)}
    assert sorted(tasks) == ["r1", "r2", "r3", "r4"]  # no duplicates after the second push
    assert tasks["r1"]["data"]["text"] == "Great &lt;b&gt;kettle&lt;/b&gt;, mail me at [EMAIL]"
    assert (warehouse.path / DATASET / "review_tasks/source=acme/date=2026-11-20/label_studio_import.json").exists()
    full = client._request("GET", f"/api/tasks/{tasks['r1']['id']}")
    [prediction] = full["predictions"]
    assert prediction["model_version"] == studio.model_version and prediction["score"] == pytest.approx(0.6)
    assert prediction["result"][0]["value"]["choices"] == ["positive"]

    def tick(cursor: str | None) -> dg.SensorResult:
        context = dg.build_sensor_context(
            instance=dg.DagsterInstance.ephemeral(),
            cursor=cursor,
            resources={"label_studio": studio, "warehouse": warehouse},
        )
        return label_studio_sensor(context)

    quiet = tick(None)
    assert not quiet.run_requests and "no new completed annotations" in quiet.skip_reason.skip_message

    second = client._request(
        "POST", "/api/users", body={"email": f"b-{uuid.uuid4().hex[:6]}@x.test", "username": f"b{uuid.uuid4().hex[:6]}"}
    )
    for record_id, label in FIRST.items():
        _annotate(client, tasks[record_id]["id"], label)
    for record_id, label in SECOND.items():
        _annotate(client, tasks[record_id]["id"], label, user_id=second["id"])

    sensed = tick(quiet.cursor)
    [request] = sensed.run_requests
    assert request.partition_key == KEY_OF_PARTITION
    assert set(request.asset_selection) == {dg.AssetKey([DATASET, "human_labels"]), dg.AssetKey([DATASET, "labels"])}
    assert request.tags["gleaner/dataset"] == DATASET
    assert tick(sensed.cursor).skip_reason is not None  # seen: nothing more to do

    result = dg.materialize([human_labels, labels], partition_key=request.partition_key, resources=common)
    assert result.success
    humans = _metadata(result, "human_labels")
    assert humans["annotators"] == 2
    # the lead times Label Studio stored come back in its export: 8 annotations, 10 to 30 s each
    spent = warehouse.read(f"{DATASET}/human_labels", PARTITION)["lead_time"]
    expected = [simulated_lead_time(f"{user}/{tasks[r]['id']}") for user in (None, second["id"]) for r in FIRST]
    assert sorted(spent.to_list()) == sorted(expected)
    assert humans["velocity_records_per_hour"] == round(4 / (sum(expected) / 3600), 1)
    assert len([k for k in humans if k.startswith("velocity/human:")]) == 2  # one rate per person
    resolved = _resolved(warehouse)
    assert {r: resolved[r] for r in ("r1", "r2", "r3")} == {
        "r1": ("positive", "human"),
        "r2": ("negative", "human"),
        "r3": ("positive", "human"),
    }
    assert resolved["r4"] == (None, "needs_review")  # the two people disagree: still for review

    agreement = _metadata(result, "labels")
    human_pair = [k for k in agreement if k.startswith("agreement/kappa/human:") and k.count("human:") == 2]
    assert human_pair and agreement[human_pair[0]] == pytest.approx(0.5)  # 3 of 4 agree, balanced classes
    assert any("human:" in k and "llm" in k for k in agreement if k.startswith("agreement/kappa/"))


def test_a_refused_token_fails_at_once(server: LabelStudioServer):
    slept: list[float] = []
    wrong = LabelStudioClient(server.url, "not-the-token", attempts=3, sleep=slept.append)
    with pytest.raises(LabelStudioError, match="answered 401") as failure:
        wrong.find_project("anything")
    assert not isinstance(failure.value, LabelStudioUnavailable) and slept == []  # retrying cannot help
