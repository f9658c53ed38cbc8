import hashlib
import json
import os

import pytest

from gleaner.dataset.balancing import balance, balance_split, imbalance_ratio, oversample
from gleaner.dataset.gate import GatePolicy, run_gate
from gleaner.dataset.splitting import SplitRatios, assign_splits
from gleaner.storage.versions import VersionConflict, publish, published_versions, verify_versions


def test_splits_are_deterministic_stratified_and_never_empty():
    clusters = {f"c{i}": ("positive" if i % 3 else "negative") for i in range(60)}
    first = assign_splits(clusters)
    assert first == assign_splits(dict(reversed(list(clusters.items()))))
    for label in ("positive", "negative"):
        splits = {first[c] for c, lab in clusters.items() if lab == label}
        assert splits == {"train", "validation", "test"}
    with pytest.raises(ValueError):
        SplitRatios(0.5, 0.1, 0.1)


def test_balance_caps_the_majority_deterministically():
    rows = [{"id": str(i), "label": "p"} for i in range(30)] + [{"id": f"n{i}", "label": "n"} for i in range(10)]
    kept = balance(rows, "label", "id", 1.5)
    assert imbalance_ratio([r["label"] for r in kept]) == 1.5
    assert kept == balance(list(reversed(rows)), "label", "id", 1.5)


def _text(i: int) -> str:
    """Distinct texts of review length: the leak check looks for near duplicates among them."""
    return " ".join(hashlib.sha256(f"{i}-{n}".encode()).hexdigest()[:7] for n in range(30))


def test_oversampling_keeps_every_row_and_marks_deterministic_copies():
    rows = [{"id": str(i), "label": "p"} for i in range(30)] + [{"id": f"n{i}", "label": "n"} for i in range(7)]
    out = oversample(rows, "label", "id", 1.5)
    originals = sorted(rows, key=lambda r: r["id"])
    assert [r for r in out if not r["oversampled"]] == [{**r, "oversampled": False} for r in originals]
    assert imbalance_ratio([r["label"] for r in out]) <= 1.5
    assert {r["label"] for r in out if r["oversampled"]} == {"n"} and sum(r["oversampled"] for r in out) == 13
    assert out == oversample(list(reversed(rows)), "label", "id", 1.5)
    assert not any(r["oversampled"] for r in balance_split(rows, "test", "label", "id", 1.5, "oversample"))
    with pytest.raises(ValueError, match="not one of undersample, oversample"):
        balance_split(rows, "train", "label", "id", 1.5, "smote")


def _row(i, label, split, cluster=None, text_hash=None, text=None):
    return {
        "record_id": f"record-{i:04d}",
        "review_id": str(i),
        "product_id": "p",
        "source": "acme",
        "page_url": "http://x/p",
        "scraped_at": "2026-11-20T00:00:00+00:00",
        "text": text or _text(i),
        "rating": 4.0,
        "rating_scale": 5.0,
        "author": None,
        "published": None,
        "language": "en",
        "word_count": 1,
        "label": label,
        "split": split,
        "cluster_id": cluster or f"c{i}",
        "content_hash": text_hash or f"h{i}",
    }


GOOD_AGREEMENT = [{"left": "lf_lexicon", "right": "lf_rating", "n_shared": 50, "kappa": 0.85, "pair": "x"}]


def _good_rows():
    rows, i = [], 0
    for split, n in (("train", 8), ("validation", 2), ("test", 2)):
        for label in ("positive", "negative"):
            for _ in range(n):
                rows.append(_row(i, label, split))
                i += 1
    return rows


def _verdicts(rows, agreement=GOOD_AGREEMENT):
    return {v.name: v.passed for v in run_gate(rows, agreement, GatePolicy())}


def test_gate_passes_a_good_candidate():
    assert all(_verdicts(_good_rows()).values())


def test_each_gate_check_fails_on_its_own_defect():
    rows = _good_rows()
    bad_schema = [dict(rows[0], rating=9.0), *rows[1:]]
    assert _verdicts(bad_schema) == {**_verdicts(rows), "schema": False}
    low_kappa = [dict(GOOD_AGREEMENT[0], kappa=0.1)]
    assert _verdicts(rows, low_kappa)["kappa"] is False
    assert _verdicts(rows, [])["kappa"] is False
    skewed = rows + [_row(900 + i, "positive", "train") for i in range(10)]
    assert _verdicts(skewed)["class_balance"] is False
    leak = rows + [_row(999, "positive", "test", cluster=rows[0]["cluster_id"])]
    assert _verdicts(leak)["no_split_leak"] is False
    near = _text(0).split()
    near[3] = "edited"  # 29 of 30 words kept: Jaccard of the 5-gram sets 22/30 = 0.73
    near_leak = rows + [_row(998, "positive", "test", text=" ".join(near))]
    assert _verdicts(near_leak)["no_split_leak"] is True  # below the default 0.8
    strict = {v.name: v for v in run_gate(near_leak, GOOD_AGREEMENT, GatePolicy(near_duplicate_threshold=0.7))}
    assert strict["no_split_leak"].passed is False
    assert "near duplicates record-0998 (test) ~ record-0000 (train)" in strict["no_split_leak"].details["examples"][0]
    no_test = [r for r in rows if r["split"] != "test"]
    assert _verdicts(no_test)["no_empty_split"] is False


def test_publish_is_immutable_idempotent_and_exclusive(tmp_path):
    first = publish(tmp_path, {"train.parquet": b"a"}, {"rows": 1}, render_card=lambda m: f"# {m['name']}")
    assert (first.version, first.created) == (1, True)
    again = publish(tmp_path, {"train.parquet": b"a"}, {"rows": 1})
    assert (again.version, again.created) == (1, False)
    second = publish(tmp_path, {"train.parquet": b"b"}, {"rows": 1})
    assert (second.version, second.created) == (2, True)
    assert published_versions(tmp_path) == [1, 2]
    manifest = json.loads((tmp_path / "v1" / "manifest.json").read_text())
    assert set(manifest["files"]) == {"train.parquet", "README.md"}
    assert not verify_versions(tmp_path)
    os.chmod(tmp_path / "v1" / "train.parquet", 0o644)
    (tmp_path / "v1" / "train.parquet").write_bytes(b"tampered")
    assert verify_versions(tmp_path) == ["v1/train.parquet: sha256 differs from the manifest (tampered)"]


def test_a_half_written_version_is_not_a_version_and_races_are_refused(tmp_path, monkeypatch):
    (tmp_path / "v1").mkdir()
    (tmp_path / "v1" / "train.parquet").write_bytes(b"partial")
    assert published_versions(tmp_path) == []
    outcome = publish(tmp_path, {"train.parquet": b"a"}, {})
    # the leftovers' folder is never written again: the publish takes the next number
    assert outcome.version == 2 and (tmp_path / "v1" / "train.parquet").read_bytes() == b"partial"
    assert (tmp_path / "v2" / "train.parquet").read_bytes() == b"a"
    (tmp_path / "v3").mkdir()
    (tmp_path / "v3" / "train.parquet").write_bytes(b"theirs")  # another publisher claimed v3 after we looked
    import gleaner.storage.versions as versioning

    monkeypatch.setattr(versioning, "taken_versions", lambda root: [1, 2])
    with pytest.raises(VersionConflict):
        publish(tmp_path, {"train.parquet": b"c"}, {})
    assert (tmp_path / "v3" / "train.parquet").read_bytes() == b"theirs"
