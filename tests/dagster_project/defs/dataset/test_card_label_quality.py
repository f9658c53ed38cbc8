"""A published version reports its label quality: the dataset-level calibration per source (ECE raw and
calibrated), the label issues cleanlab found, and the reliability diagram as a hashed file of the version.
Two warehouses with the same inputs publish byte-identical cards and diagrams."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import polars as pl

from dagster_project.defs.dataset.candidate import labeled_dataset_asset
from dagster_project.defs.dataset.publish import training_data_asset
from dagster_project.lib.datasets import DATASETS
from dagster_project.lib.partitions import with_partition
from dagster_project.resources.policy import PolicyResource
from dagster_project.resources.warehouse import WarehouseResource
from gleaner.storage import verify_versions
from gleaner.storage.versions import read_manifest

SPEC = DATASETS["review_sentiment"]
PARTITION = {"source": "acme", "date": "2026-11-20"}
N = 80


def _text(i: int) -> str:
    return f"Review number {i}: " + " ".join(hashlib.sha256(f"{i}-{n}".encode()).hexdigest()[:7] for n in range(14))


def _label(i: int) -> str:
    return "positive" if i % 2 == 0 else "negative"


def _records() -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "record_id": f"record-{i:04d}", "review_id": f"acme-{i}", "product_id": f"p{i % 5}",
                "source": "acme", "page_url": f"http://shop.example/p{i % 5}",
                "scraped_at": datetime(2026, 11, 20, tzinfo=UTC), "text": _text(i),
                "rating": 5.0 if _label(i) == "positive" else 1.0, "rating_scale": 5.0, "author": None,
                "published": None, "language": "en", "word_count": 16, "partition_date": PARTITION["date"],
                "cluster_id": f"record-{i:04d}", "content_hash": hashlib.sha256(_text(i).encode()).hexdigest(),
            }
            for i in range(N)
        ]
    )  # fmt: skip


def _votes() -> pl.DataFrame:
    """Rules agreeing, an overconfident LLM (0.97, wrong on every fourth record people labelled), a model,
    people on the first 48 records, and two automatic labels cleanlab sent back to review."""
    rows = []
    for i in range(N):
        rid, truth = f"record-{i:04d}", _label(i)
        wrong = "negative" if truth == "positive" else "positive"
        llm = wrong if i < 48 and i % 4 == 0 else truth
        rows += [
            {"record_id": rid, "annotator": "lf_rating", "annotator_kind": "lf", "label": truth},
            {"record_id": rid, "annotator": "lf_lexicon", "annotator_kind": "lf", "label": truth},
            *[{"record_id": rid, "annotator": f"llm:m:vote{v}", "annotator_kind": "llm", "label": llm,
               "confidence": 0.97} for v in range(2)],
            {"record_id": rid, "annotator": "model:logreg", "annotator_kind": "model", "label": truth,
             "confidence": 0.6 + (i % 7) / 20},
        ]  # fmt: skip
        if i < 48:
            rows.append({"record_id": rid, "annotator": "ann", "annotator_kind": "human", "label": truth})
        issue = i in (50, 51)
        rows.append({"record_id": rid, "annotator": "resolved", "annotator_kind": "resolved",
                     "label": None if issue else truth, "confidence": 0.95,
                     "status": "needs_review" if issue else ("human" if i < 48 else "auto"),
                     "basis": "label_issue" if issue else "rules", "guess": truth})  # fmt: skip
    return pl.DataFrame(rows, infer_schema_length=None)


def _publish(root: Path) -> Path:
    warehouse = WarehouseResource(root=str(root))
    records = _records()
    warehouse.write(f"{SPEC.name}/deduped_records", records, PARTITION)
    warehouse.write(f"{SPEC.name}/canonical_records", records.drop("cluster_id", "content_hash"), PARTITION)
    removals = pl.DataFrame(schema={"removed_id": pl.String, "kind": pl.String})
    warehouse.write(f"{SPEC.name}/near_duplicates", removals, PARTITION)
    warehouse.write(f"{SPEC.name}/labels", with_partition(_votes(), PARTITION), PARTITION)
    result = dg.materialize(
        [labeled_dataset_asset(SPEC), training_data_asset(SPEC)[0]],
        resources={"warehouse": warehouse, "policy": PolicyResource()},
    )
    assert result.success
    assert verify_versions(warehouse.versions(SPEC.name)) == []
    return root / "training_data" / SPEC.name / "v1"


def test_the_card_reports_label_quality_and_embeds_a_deterministic_reliability_diagram(tmp_path: Path) -> None:
    first, second = _publish(tmp_path / "one"), _publish(tmp_path / "two")
    for name in ("README.md", "reliability.png"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    png = (first / "reliability.png").read_bytes()
    assert png.startswith(b"\x89PNG")

    manifest = read_manifest(first.parent, 1)
    assert manifest["files"]["reliability.png"] == hashlib.sha256(png).hexdigest()  # content, hashed
    quality = manifest["label_quality"]
    assert quality["label_issues"] == 2 and quality["human_labelled_records"] == 48
    assert quality["reliability_diagram"] == "reliability.png"
    llm = quality["sources"]["llm"]
    # the LLM said 0.97 and was right on 36 of 48: raw ECE 0.97 - 0.75; Platt brings it close to 0.75
    assert (llm["samples"], llm["method"]) == (48, "platt") and abs(llm["ece_raw"] - 0.22) < 1e-9
    assert llm["ece_calibrated"] < 0.05
    assert quality["fitted_on"].startswith("all 48 human labels: the audit slice has")
    assert read_manifest(second.parent, 1)["label_quality"] == quality

    card = (first / "README.md").read_text()
    assert "## Label quality" in card
    assert f"| llm | 48 | platt | {llm['ece_raw']:.4f} | {llm['ece_calibrated']:.4f} |" in card
    assert set(quality["sources"]) == {"lf", "llm", "model"}
    assert "sent back to review): 2" in card
    assert "](reliability.png)" in card
