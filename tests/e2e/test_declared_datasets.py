"""Adding a dataset is adding a file: a dataset the code has never heard of (a topic label over the review
text, rules only) is declared in YAML beside the two built-in ones and published end to end by the real CLI.
Re-running publishes nothing new; editing one dataset's guideline publishes that dataset's v2 only."""

import json
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
from conftest import BIN, ROOT, isolated_environment, run_cli

pytestmark = pytest.mark.e2e

TOPIC = Path(__file__).parent / "data" / "review_topic.yaml"
BUILT_IN = ("product_entities", "review_sentiment")


@pytest.fixture(scope="module")
def declared(tmp_path_factory):
    root = tmp_path_factory.mktemp("declared")
    folder = root / "datasets"
    folder.mkdir()
    for path in sorted((ROOT / "config" / "datasets").glob("*.yaml")):
        shutil.copy(path, folder / path.name)
    shutil.copy(TOPIC, folder / TOPIC.name)
    env = {**isolated_environment(root), "GLEANER_DATASETS": str(folder)}
    demo = run_cli(["demo"], env)
    return {"root": root, "env": env, "folder": folder, "output": demo.stdout}


def _versions(declared, dataset: str) -> list[str]:
    out = run_cli(["versions", "--dataset", dataset], declared["env"])
    return [json.loads(line)["version"] for line in out.stdout.splitlines() if line.startswith("{")]


def test_a_yaml_only_dataset_publishes_beside_the_built_in_ones(declared):
    out = declared["output"]
    for name in (*BUILT_IN, "review_topic"):
        assert f"dataset {name}:" in out and f"published: {name}_v1" in out, out
    folder = declared["root"] / "warehouse" / "training_data" / "review_topic" / "v1"
    frame = pl.concat([pl.read_parquet(folder / f"{split}.parquet") for split in ("train", "validation", "test")])
    assert frame.height > 20 and set(frame["label"]) == {"delivery", "service", "usage"}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["name"] == "review_topic_v1" and manifest["label_policy"]["dataset"] == "review_topic"
    assert json.loads((folder / "dataset.json").read_text())["labels"][0]["name"] == "delivery"
    assert "delivery" in (folder / "README.md").read_text()


def test_editing_one_guideline_publishes_that_datasets_v2_only(declared):
    again = run_cli(["publish"], declared["env"])
    assert "nothing new published" in again.stdout
    assert all(_versions(declared, name) == [f"{name}_v1"] for name in (*BUILT_IN, "review_topic"))

    path = declared["folder"] / TOPIC.name
    path.write_text(path.read_text().replace("shipping time, the courier, the box.", "shipping time and courier."))
    run_cli(["publish"], declared["env"])
    assert _versions(declared, "review_topic") == ["review_topic_v1", "review_topic_v2"]
    assert all(_versions(declared, name) == [f"{name}_v1"] for name in BUILT_IN)
    verify = run_cli(["versions", "--verify"], declared["env"])
    assert "verified" in verify.stdout


def test_a_broken_dataset_file_stops_every_command_with_one_line_naming_file_and_field(declared, tmp_path):
    folder = tmp_path / "datasets"
    shutil.copytree(declared["folder"], folder)
    (folder / "review_topic.yaml").write_text(TOPIC.read_text().replace("input: text", "input: txet"))
    env = {**declared["env"], "GLEANER_DATASETS": str(folder)}
    out = subprocess.run([str(BIN / "gleaner"), "publish"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert "review_topic.yaml: input:" in line and "'txet' is not a text field" in line, line
