"""The labels asset learns from every earlier partition's human labels, and stays idempotent doing it.

Partition A has human labels, partition B (a later one) none: B's calibration and model learn from A's. The
history comes from the asset's inputs (`human_labels` and `deduped_records` of the partitions before it),
never from a `labels` table, so re-materializing A after B gives A's bytes again: the bug a previous attempt
had.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl

from dagster_project.defs.labels.assets import labels_asset
from dagster_project.lib.datasets import DATASETS
from dagster_project.lib.partitions import partition_key, with_partition
from dagster_project.resources.llm import LLMLabelerResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.labeling import HUMAN_SCHEMA

SPEC = DATASETS["review_sentiment"]
LABELS = labels_asset(SPEC)
A = {"source": "acme", "date": "2026-11-20"}
B = {"source": "globex", "date": "2026-11-21"}
PRAISE = ["great {}, works perfectly, lovely", "excellent {}, I love it", "superb {}, highly recommend"]
COMPLAINTS = ["awful {}, broke after a week", "terrible {}, I want a refund", "useless {}, it leaks everywhere"]
THINGS = ["kettle", "toaster", "blender", "lamp", "fan", "mixer", "clock", "radio", "heater", "grill", "iron"]


def _records(prefix: str, n: int) -> pl.DataFrame:
    """Half praise with five stars, half complaints with one: every rule agrees on each (raw score 1.0)."""
    rows = []
    for i in range(n):
        positive = i % 2 == 0
        template = (PRAISE if positive else COMPLAINTS)[i % 3]
        text = f"{template.format(THINGS[i % len(THINGS)])} ({prefix} {i})"
        rows.append({"record_id": f"{prefix}{i:03d}", "text": text, "rating": 5.0 if positive else 1.0})
    return pl.DataFrame(rows, schema={"record_id": pl.String, "text": pl.String, "rating": pl.Float64})


def _humans(records: pl.DataFrame, n: int, wrong_every: int) -> pl.DataFrame:
    """People label the first `n` records and disagree with the rules on every `wrong_every`-th one."""
    rows = []
    for i, row in enumerate(records.head(n).iter_rows(named=True)):
        rules = "positive" if row["rating"] >= 4 else "negative"
        label = ("negative" if rules == "positive" else "positive") if i % wrong_every == 0 else rules
        rows.append((row["record_id"], "ann", f"{row['record_id']}-1", "2026-11-22T10:00:00Z", label, 15.0))
    return pl.DataFrame(rows, schema=HUMAN_SCHEMA, orient="row")


def _warehouse(root: Path, with_humans: bool = True) -> WarehouseResource:
    warehouse = WarehouseResource(root=str(root))
    for partition, prefix, n in ((A, "a", 60), (B, "b", 30)):
        warehouse.write(f"{SPEC.name}/deduped_records", with_partition(_records(prefix, n), partition), partition)
    if with_humans:  # rules wrong on a third of what people labelled: overconfident once calibrated
        humans = _humans(_records("a", 60), 45, wrong_every=3)
        warehouse.write(f"{SPEC.name}/human_labels", with_partition(humans, A), A)
    return warehouse


def _materialize(warehouse: WarehouseResource, partition: dict[str, str]) -> dict[str, object]:
    result = dg.materialize(
        [LABELS],
        partition_key=partition_key(partition["source"], partition["date"]),
        resources={"warehouse": warehouse, "llm": LLMLabelerResource()},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    [materialization] = result.asset_materializations_for_node(f"{SPEC.name}__labels")
    return {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}


def _bytes(warehouse: WarehouseResource, partition: dict[str, str]) -> bytes:
    [part] = Path(warehouse.partition_location(f"{SPEC.name}/labels", partition)).glob("*.parquet")
    return part.read_bytes()


def _resolved(warehouse: WarehouseResource, partition: dict[str, str]) -> pl.DataFrame:
    return warehouse.read(f"{SPEC.name}/labels", partition).filter(pl.col("annotator_kind") == "resolved")


def test_a_partition_without_human_labels_learns_from_anothers(tmp_path: Path) -> None:
    alone = _warehouse(tmp_path / "alone", with_humans=False)
    learned_nothing = _materialize(alone, B)
    assert learned_nothing["learned_from/human_labels"] == 0 and learned_nothing["learned_from/partitions"] == 0
    assert "calibration/lf/samples" not in learned_nothing  # nobody labelled anything: no calibration
    by_rules = _resolved(alone, B)
    assert set(by_rules["basis"]) <= {"rule consensus", "audit"} and "rule consensus" in set(by_rules["basis"])

    warehouse = _warehouse(tmp_path / "shared")
    metadata = _materialize(warehouse, B)
    assert metadata["learned_from/human_labels"] == 45 and metadata["learned_from/partitions"] == 1
    assert metadata["learned_from/partition_list"] == ["source=acme/date=2026-11-20"]
    # Calibration on A's labels: the rules were right on two thirds of them, so their 1.0 is about 0.67 and
    # no longer clears the 0.92 routing threshold. B's records go to people, not into the dataset.
    assert metadata["calibration/lf/samples"] == 45 and metadata["calibration/lf/method"] == "platt"
    assert str(metadata["calibration/fitted_on"]).startswith("all 45 human labels: the audit slice has")
    resolved = _resolved(warehouse, B)
    assert set(resolved["status"]) == {"needs_review"}
    overconfident = resolved.filter(pl.col("basis").str.starts_with("rule consensus below threshold"))
    assert overconfident.height == by_rules.height == 30  # alone, each was settled (or audited) by rules
    # The model in the loop trained on A's 45 human labels (B has no labelled record of its own now).
    assert str(metadata["model_in_loop"]).startswith("logistic regression on 45 labelled records, 30 pending")
    assert metadata["calibration/model/samples"] == 45  # its out-of-fold votes on A's records, calibrated
    written = warehouse.read(f"{SPEC.name}/labels", B)
    assert set(written["record_id"]) == set(_records("b", 30)["record_id"])  # only B's rows are written


def test_rematerializing_a_then_b_then_a_gives_the_same_bytes(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "warehouse")
    first = _materialize(warehouse, A)
    a_bytes = _bytes(warehouse, A)
    _materialize(warehouse, B)
    b_bytes = _bytes(warehouse, B)
    again = _materialize(warehouse, A)
    assert _bytes(warehouse, A) == a_bytes  # B's labels table, now there, changed nothing in A
    _materialize(warehouse, B)
    assert _bytes(warehouse, B) == b_bytes
    _materialize(warehouse, A)
    assert _bytes(warehouse, A) == a_bytes
    assert {k: v for k, v in again.items() if k != "reliability_diagram"} == {
        k: v for k, v in first.items() if k != "reliability_diagram"
    }
    # And a second warehouse with the same inputs, labelled in the other order, writes the same bytes.
    other = _warehouse(tmp_path / "other")
    _materialize(other, B)
    _materialize(other, A)
    assert (_bytes(other, A), _bytes(other, B)) == (a_bytes, b_bytes)

    # People label some of B later: B learns from them, A (an earlier partition) does not move.
    warehouse.write(f"{SPEC.name}/human_labels", with_partition(_humans(_records("b", 30), 10, 2), B), B)
    assert _materialize(warehouse, B)["human"] == 10 and _bytes(warehouse, B) != b_bytes
    assert _materialize(warehouse, A)["learned_from/human_labels"] == 0
    assert _bytes(warehouse, A) == a_bytes
