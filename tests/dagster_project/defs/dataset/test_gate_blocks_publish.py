"""A failing gate check means no new version: each blocking check fails in turn, through Dagster.

The warehouse is seeded with a small synthetic candidate (deduped records, votes, resolved labels) that
passes every check; each case breaks exactly one thing and runs labeled_dataset + training_data in one
run, as `publish_training_data` does.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from dagster_project.defs.dataset.candidate import gate_checks, labeled_dataset_asset
from dagster_project.defs.dataset.publish import training_data_asset
from dagster_project.lib.datasets import DATASETS
from dagster_project.lib.partitions import with_partition
from dagster_project.resources.policy import PolicyResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.storage.versions import published_versions, read_manifest

PARTITION = {"source": "acme", "date": "2026-11-20"}
SPEC = DATASETS["review_sentiment"]
GATE_CHECKS = gate_checks(SPEC)
VERSIONS = Path("training_data") / SPEC.name


def _spec(**gate):
    return SPEC.model_copy(update={"gate": SPEC.gate.model_copy(update=gate)})


def _table(name: str) -> str:
    return f"{SPEC.name}/{name}"


def _text(i: int) -> str:
    words = [hashlib.sha256(f"{i}-{n}".encode()).hexdigest()[:7] for n in range(14)]
    return f"Review number {i}: " + " ".join(words)


def _records(labels: list[str]) -> pl.DataFrame:
    rows = []
    for i, _ in enumerate(labels):
        text = _text(i)
        rows.append(
            {
                "record_id": f"record-{i:04d}",
                "review_id": f"acme-{i}",
                "product_id": f"p{i % 5}",
                "source": "acme",
                "page_url": f"http://shop.example/p{i % 5}",
                "scraped_at": datetime(2026, 11, 20, tzinfo=UTC),
                "text": text,
                "rating": 5.0 if labels[i] == "positive" else 1.0,
                "rating_scale": 5.0,
                "author": None,
                "published": None,
                "language": "en",
                "word_count": len(text.split()),
                "partition_date": PARTITION["date"],
                "cluster_id": f"record-{i:04d}",
                "content_hash": hashlib.sha256(text.encode()).hexdigest(),
            }
        )
    return pl.DataFrame(rows)


def _votes(rating: list[str], lexicon: list[str], resolved: list[str]) -> pl.DataFrame:
    """Two rule votes per record (the kappa pair) and the resolved label."""
    rows = []
    for i, (by_rating, by_lexicon, label) in enumerate(zip(rating, lexicon, resolved, strict=True)):
        rid = f"record-{i:04d}"
        rows += [
            {"record_id": rid, "annotator": "lf_rating", "annotator_kind": "lf", "label": by_rating},
            {"record_id": rid, "annotator": "lf_lexicon", "annotator_kind": "lf", "label": by_lexicon},
            {"record_id": rid, "annotator": "resolved", "annotator_kind": "resolved", "label": label,
             "confidence": 0.95, "status": "auto", "basis": "rules"},
        ]  # fmt: skip
    return pl.DataFrame(rows, infer_schema_length=None)


def _seed(root: Path, labels: list[str], lexicon: list[str] | None = None, resolved: list[str] | None = None):
    warehouse = WarehouseResource(root=str(root))
    records = _records(labels)
    warehouse.write(_table("deduped_records"), records, PARTITION)
    warehouse.write(_table("canonical_records"), records.drop("cluster_id", "content_hash"), PARTITION)
    removals = pl.DataFrame(schema={"removed_id": pl.String, "kind": pl.String})
    warehouse.write(_table("near_duplicates"), removals, PARTITION)
    votes = _votes(labels, lexicon or labels, resolved or labels)
    warehouse.write(_table("labels"), with_partition(votes, PARTITION), PARTITION)  # as the labels asset writes it
    return warehouse, records


def _run(warehouse: WarehouseResource, spec=None) -> dg.ExecuteInProcessResult:
    spec = spec or SPEC
    return dg.materialize(
        [labeled_dataset_asset(spec), training_data_asset(spec)[0]],
        resources={"warehouse": warehouse, "policy": PolicyResource()},
        raise_on_error=False,
    )


def _verdicts(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


BALANCED = ["positive"] * 36 + ["negative"] * 30


def test_a_good_candidate_passes_every_check_and_publishes_v1(tmp_path: Path) -> None:
    warehouse, _ = _seed(tmp_path, BALANCED)
    result = _run(warehouse)
    assert result.success and _verdicts(result) == dict.fromkeys(GATE_CHECKS, True)
    assert published_versions(warehouse.versions(SPEC.name)) == [1]
    manifest = read_manifest(warehouse.versions(SPEC.name), 1)
    (partition,) = manifest["input_partitions"]
    versions = warehouse.partition_data_versions(_table("deduped_records"))
    assert manifest["input_partitions"][partition]["deduped_records"] == versions[partition]


def _mutate(case: str, tmp_path: Path):
    """A warehouse (and policy) whose candidate fails exactly the check named `case`."""
    if case == "schema":
        warehouse, records = _seed(tmp_path, BALANCED)
        broken = records.with_columns(
            pl.when(pl.col("record_id") == "record-0003").then(9.0).otherwise(pl.col("rating")).alias("rating")
        )
        warehouse.write(_table("deduped_records"), broken, PARTITION)
        return warehouse, None
    if case == "label_set":  # a label the dataset file does not declare (an edited file, a stale vote)
        labels = ["mixed" if i == 5 else lab for i, lab in enumerate(BALANCED)]
        return _seed(tmp_path, BALANCED, resolved=labels)[0], None
    if case == "kappa":  # the two rule sources disagree on a third of the records
        flipped = [
            ("negative" if lab == "positive" else "positive") if i % 3 == 0 else lab for i, lab in enumerate(BALANCED)
        ]
        return _seed(tmp_path, BALANCED, lexicon=flipped)[0], None
    if case == "class_balance":  # the rules see both classes, but every resolved label is the same
        return _seed(tmp_path, BALANCED, resolved=["positive"] * len(BALANCED))[0], None
    if case == "no_split_leak":  # ten different texts carry the same content hash: an identical text in two splits
        warehouse, records = _seed(tmp_path, BALANCED)
        leaky = records.with_columns(
            pl.when(pl.col("record_id") < "record-0010").then(pl.lit("same")).otherwise(pl.col("content_hash"))
            .alias("content_hash")
        )  # fmt: skip
        warehouse.write(_table("deduped_records"), leaky, PARTITION)
        return warehouse, None
    if case == "no_empty_split":  # four records: too few for a validation and a test split
        return _seed(tmp_path, ["positive", "negative", "positive", "negative"])[0], _spec(kappa_min_shared=2)
    raise AssertionError(case)


@pytest.mark.parametrize("case", list(GATE_CHECKS))
def test_each_failing_check_alone_blocks_the_version(case: str, tmp_path: Path) -> None:
    warehouse, policy = _mutate(case, tmp_path)
    result = _run(warehouse, policy)
    verdicts = _verdicts(result)
    assert verdicts == {**dict.fromkeys(GATE_CHECKS, True), case: False}, verdicts
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {_table("labeled_dataset")}  # the candidate is kept for inspection; nothing downstream
    alone = dg.materialize(  # publishing on its own re-runs the gate, whoever triggers it
        [training_data_asset(policy or SPEC)[0]], resources={"warehouse": warehouse}, raise_on_error=False
    )
    assert not alone.success
    assert published_versions(warehouse.versions(SPEC.name)) == []
    assert not (tmp_path / "training_data").exists()


def test_oversampling_repeats_marked_train_rows_and_still_passes_the_gate(tmp_path: Path) -> None:
    warehouse, _ = _seed(tmp_path, ["positive"] * 48 + ["negative"] * 24)  # 2:1, over the 1.5 limit
    result = _run(warehouse, _spec(balance_strategy="oversample"))
    assert result.success and _verdicts(result) == dict.fromkeys(GATE_CHECKS, True)
    train = pl.read_parquet(tmp_path / VERSIONS / "v1" / "train.parquet")
    copies = train.filter(pl.col("oversampled"))
    assert copies.height > 0 and set(copies["label"]) == {"negative"}
    assert set(copies["record_id"]) <= set(train.filter(~pl.col("oversampled"))["record_id"])  # copies of train rows
    for split in ("validation", "test"):
        assert not pl.read_parquet(tmp_path / VERSIONS / "v1" / f"{split}.parquet")["oversampled"].any()
    manifest = read_manifest(warehouse.versions(SPEC.name), 1)
    assert manifest["oversampled_rows"] == copies.height
    assert "oversampling of train" in (tmp_path / VERSIONS / "v1" / "README.md").read_text()


def _seed_humans(warehouse: WarehouseResource, reverse: bool = False) -> None:
    """Human labels in two partitions: one written before lead_time was kept (no column), one with it."""
    old = pl.DataFrame(
        {"record_id": ["record-0001"], "annotator": ["human:ana"], "annotation_id": ["1"], "updated_at": [""],
         "label": ["positive"]}
    )  # fmt: skip
    timed = [
        {"record_id": "record-0002", "annotator": "human:ana", "annotation_id": "2", "updated_at": "",
         "label": "positive", "lead_time": 12.0},
        {"record_id": "record-0003", "annotator": "human:ana", "annotation_id": "3", "updated_at": "",
         "label": "positive", "lead_time": 18.0},
        {"record_id": "record-0002", "annotator": "human:ben", "annotation_id": "4", "updated_at": "",
         "label": "positive", "lead_time": 30.0},
    ]  # fmt: skip
    new = pl.DataFrame(timed[::-1] if reverse else timed)
    warehouse.write(_table("human_labels"), with_partition(old, OTHER_DAY), OTHER_DAY)
    warehouse.write(_table("human_labels"), with_partition(new, PARTITION), PARTITION)


OTHER_DAY = {"source": "acme", "date": "2026-11-19"}


def test_the_card_reports_velocity_over_every_partitions_human_labels_and_is_the_same_everywhere(tmp_path: Path):
    cards = []
    for name, reverse in (("a", False), ("b", True)):
        warehouse, _ = _seed(tmp_path / name, BALANCED)
        _seed_humans(warehouse, reverse)
        assert _run(warehouse).success
        manifest = read_manifest(warehouse.versions(SPEC.name), 1)
        velocity = manifest["annotation_velocity"]
        assert velocity["records_per_hour"] == 120.0  # record-0002 and -0003 in 60 s of people's time
        assert velocity["without_lead_time"] == 1  # the older table's annotation: no column, no time
        assert [row["records_per_hour"] for row in velocity["per_annotator"]] == [240.0, 120.0]
        cards.append((tmp_path / name / VERSIONS / "v1" / "README.md").read_bytes())
    assert cards[0] == cards[1]
    assert b"| all annotators | 2 | 0.0167 | 120.0 | 50% |" in cards[0]


def test_without_human_labels_the_card_says_there_are_none_yet(tmp_path: Path):
    warehouse, _ = _seed(tmp_path, BALANCED)
    assert _run(warehouse).success
    card = (tmp_path / VERSIONS / "v1" / "README.md").read_text()
    assert "## Annotation velocity\n\n- No human annotations yet.\n" in card
