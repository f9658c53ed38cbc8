"""The span candidate and its release: resolved records joined to their titles, split by cluster without
balancing, `spans`/`tokens`/`ner_tags` columns, the span gate (schema against the declared record, label
set, span agreement, leaks, empty splits), and a version whose manifest and card count spans per label."""

from datetime import UTC, datetime

import polars as pl
import pytest

from gleaner.dataset import (
    GateFailed,
    SpanCandidatePolicy,
    SpanGatePolicy,
    build_span_candidate,
    release,
    run_span_gate,
)
from gleaner.datasets import DEFAULT_DATASETS_DIR, load_dataset
from gleaner.labeling import SPAN_LABEL_SCHEMA
from gleaner.labeling.spans import span_at, spans_to_json
from gleaner.schemas import ProductPage
from gleaner.storage.versions import read_manifest

SPEC = load_dataset(DEFAULT_DATASETS_DIR / "product_entities.yaml")
BRANDS = ["Vortex", "Acme", "Globex", "CrispAir", "ThermoKeep"]
TYPES = ["Kettle", "Blender", "Toaster", "Skillet", "Stove", "Speaker"]


def _title(i: int) -> str:
    return f"{BRANDS[i % 5]} {TYPES[i % 6]} X-{100 + i * 37} edition {i:03d} unit"


def _pages(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "record_id": f"page-{i:04d}",
                "product_id": f"p{i}",
                "source": "acme",
                "page_url": f"http://shop.example/p/{i}",
                "scraped_at": datetime(2026, 11, 20, tzinfo=UTC),
                "title": _title(i),
                "description": None,
                "partition_date": "2026-11-20",
            }
            for i in range(n)
        ]
    )


def _votes(pages: pl.DataFrame, pending: set[int] = frozenset(), lf_b_misses: int = 0) -> pl.DataFrame:
    """A resolved row per page (BRAND and PRODUCT_TYPE), and two rule votes that agree except on the first
    `lf_b_misses` pages, where lf_b finds no type."""
    rows = []
    for i, page in enumerate(pages.iter_rows(named=True)):
        title = page["title"]
        brand = span_at(title, 0, len(BRANDS[i % 5]), "BRAND")
        kind = span_at(title, brand.end + 1, brand.end + 1 + len(TYPES[i % 6]), "PRODUCT_TYPE")
        base = {"record_id": page["record_id"], "source": "acme", "partition_date": "2026-11-20"}
        rows.append({**base, "annotator": "lf_a", "annotator_kind": "lf", "spans_json": spans_to_json([brand, kind])})
        b_spans = [brand] if i < lf_b_misses else [brand, kind]
        rows.append({**base, "annotator": "lf_b", "annotator_kind": "lf", "spans_json": spans_to_json(b_spans)})
        resolved = None if i in pending else spans_to_json([brand, kind])
        status = "needs_review" if i in pending else "auto"
        rows.append({**base, "annotator": "resolved", "annotator_kind": "resolved", "spans_json": resolved,
                     "confidence": 1.0, "status": status})  # fmt: skip
    return pl.DataFrame(rows, schema=SPAN_LABEL_SCHEMA | {"source": pl.String, "partition_date": pl.String})


def _policy(**gate) -> SpanCandidatePolicy:
    settings = {"record_model": ProductPage, "labels": SPEC.label_names, "input_field": "title"} | gate
    return SpanCandidatePolicy(gate=SpanGatePolicy(**settings))


def _candidate(n=30, policy=None, **votes):
    pages = _pages(n)
    versions = {"deduped_records": {"p": "a" * 64}, "labels": {"p": "b" * 64}}
    return build_span_candidate(pages, _votes(pages, **votes), pages, None, versions, policy or _policy())


def test_the_candidate_carries_spans_tokens_and_bio_tags_and_leaves_pending_out():
    candidate = _candidate(pending={3})
    frame = candidate.frame
    assert frame.height == 29 and "page-0003" not in frame["record_id"].to_list()
    assert candidate.summary["pending_review"] == 1
    row = frame.filter(pl.col("record_id") == "page-0001").to_dicts()[0]
    assert row["title"] == "Acme Blender X-137 edition 001 unit"
    assert row["spans"] == [
        {"start": 0, "end": 4, "label": "BRAND", "text": "Acme"},
        {"start": 5, "end": 12, "label": "PRODUCT_TYPE", "text": "Blender"},
    ]
    assert row["tokens"][:4] == ["Acme", "Blender", "X", "-"]
    assert row["ner_tags"] == ["B-BRAND", "B-PRODUCT_TYPE"] + ["O"] * (len(row["tokens"]) - 2)
    assert set(frame["split"]) == {"train", "validation", "test"} and "oversampled" not in frame.columns
    counts = candidate.summary["span_counts"]
    assert sum(c.get("BRAND", 0) for c in counts.values()) == 29
    assert [v.name for v in candidate.verdicts if not v.passed] == []
    span_agreement = next(v for v in candidate.verdicts if v.name == "span_agreement")
    assert span_agreement.details == {"note": "no gated pairs"}


def test_span_agreement_gate_fails_below_its_thresholds_and_passes_above():
    gated = {"kappa_pairs": (("lf_a", "lf_b"),), "kappa_min_shared": 10, "span_f1_threshold": 0.9}
    good = _candidate(policy=_policy(**gated))
    assert all(v.passed for v in good.verdicts)
    assert good.agreement_report["pairs"][0]["span_f1"] == 1.0
    # lf_b misses the type on 10 of 30 pages: F1 = 2*50 / (60 + 50) = 0.9091 passes 0.9, fails 0.95.
    close = _candidate(policy=_policy(**gated), lf_b_misses=10)
    assert close.agreement_report["pairs"][0]["span_f1"] == 0.9091 and all(v.passed for v in close.verdicts)
    strict = _candidate(policy=_policy(**gated | {"span_f1_threshold": 0.95}), lf_b_misses=10)
    failed = {v.name: v for v in strict.verdicts if not v.passed}
    assert list(failed) == ["span_agreement"]
    assert failed["span_agreement"].details["span_f1"]["failing"] == {"lf_a ~ lf_b": 0.9091}


def test_the_gate_catches_unknown_labels_bad_records_and_empty_splits():
    rows = _candidate().frame.to_dicts()
    rows[0]["spans"] = [{"start": 0, "end": 4, "label": "MAKER", "text": "Acme"}]
    rows[1]["page_url"] = "ftp://nope"
    policy = _policy().gate
    failed = {v.name for v in run_span_gate(rows, [], policy) if not v.passed}
    assert failed == {"label_set", "schema"}
    only_train = [r for r in rows if r["split"] == "train"]
    assert {v.name for v in run_span_gate(only_train, [], policy) if not v.passed} >= {"no_empty_split"}


def test_release_publishes_span_columns_counts_and_a_card(tmp_path):
    candidate = _candidate()
    gate = _policy().gate
    released = release(tmp_path, candidate.frame, candidate.summary, gate, {"kappa_pairs": []}, definition=SPEC)
    manifest = read_manifest(tmp_path, released.outcome.version)
    assert manifest["task"] == "spans" and manifest["rows"] == 30
    assert manifest["span_distribution"] == {"BRAND": 30, "PRODUCT_TYPE": 30}
    assert sum(manifest["rows_per_split"].values()) == 30
    assert manifest["definition"]["labels"][0]["name"] == "BRAND"
    assert released.frame.columns[-8:] == ["cluster_id", "content_hash", "spans", "tokens", "ner_tags",
                                           "label_status", "label_confidence", "split"]  # fmt: skip
    card = (tmp_path / "v1" / "README.md").read_text()
    assert "Task: spans: named entities, labels on character ranges, over the `title` field." in card
    assert "### `BRAND`" in card and "| split | records | BRAND | PRODUCT_TYPE | spans |" in card
    train = manifest["span_counts_per_split_and_label"]["train"]
    assert f"| train | {manifest['rows_per_split']['train']} | {train['BRAND']} |" in card
    assert "- lf_a ~ lf_b: span F1 1.0, token kappa 1.0 (n=30 records, 240 tokens)" in card


def test_release_refuses_a_span_candidate_that_fails_its_gate(tmp_path):
    candidate = _candidate()
    frame = candidate.frame.with_columns(pl.lit("ftp://nope").alias("page_url"))
    with pytest.raises(GateFailed, match="schema"):
        release(tmp_path, frame, candidate.summary, _policy().gate, {})
