"""Calibrated confidence: a known miscalibration is learnt, too few labels leave the raw score, routing follows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from gleaner.labeling import HUMAN_SCHEMA, LabelPolicy, RecordView, SourceVote, label_partition, resolve_record
from gleaner.labeling.audit import audit_position, in_audit
from gleaner.labeling.calibration import (
    ISOTONIC_FROM,
    Calibrator,
    calibration_gold,
    expected_calibration_error,
    fit_calibrator,
    fit_source,
    reliability_png,
)


def _overconfident(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Scores in [0.6, 1] that are right 0.3 less often than they say."""
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0.6, 1.0, n)
    return raw, rng.uniform(0, 1, n) < raw - 0.3


def test_a_known_miscalibration_is_learnt_and_the_error_drops() -> None:
    raw, correct = _overconfident(3000)
    fitted = fit_source("llm", raw, correct)
    assert fitted.fitted and fitted.samples == 3000
    assert fitted.calibrate(0.95) == pytest.approx(0.65, abs=0.06)
    assert fitted.calibrate(0.7) == pytest.approx(0.4, abs=0.06)
    assert fitted.ece_raw == pytest.approx(0.3, abs=0.03)
    assert fitted.ece_calibrated < 0.05  # out of fold
    assert expected_calibration_error([0.9] * 10, [True] * 9 + [False]) == pytest.approx(0.0)


def test_too_few_human_labels_leave_the_raw_score_and_say_so() -> None:
    raw, correct = _overconfident(29)
    fitted = fit_source("llm", raw, correct)
    assert not fitted.fitted and fitted.calibrate(0.95) == 0.95
    assert "29 human-labelled records" in fitted.note and "needs 30" in fitted.note
    assert fitted.ece_calibrated == fitted.ece_raw


def _llm_votes(label: str, confidence: float) -> list[SourceVote]:
    return [SourceVote(f"llm:vote{i}", "llm", label, confidence) for i in range(2)]


def test_routing_sends_an_overconfident_source_to_review() -> None:
    raw, correct = _overconfident(500)
    calibrator = Calibrator({"llm": fit_source("llm", raw, correct)})
    votes = _llm_votes("positive", 0.97)
    assert resolve_record(votes, LabelPolicy()).status == "auto"
    calibrated = resolve_record(votes, LabelPolicy(calibrator=calibrator))
    assert calibrated.status == "needs_review" and calibrated.guess == "positive"
    assert calibrated.basis.startswith("llm majority below threshold") and calibrated.confidence < 0.8
    # A well-calibrated source keeps its labels.
    honest = Calibrator({"llm": fit_source("llm", [0.97] * 100, [True] * 100)})
    assert resolve_record(votes, LabelPolicy(calibrator=honest)).status == "auto"


def test_overconfident_rules_lose_their_consensus_once_calibrated() -> None:
    rules = [SourceVote("lf_a", "lf", "positive"), SourceVote("lf_b", "lf", "positive")]
    wrong_often = Calibrator({"lf": fit_source("lf", [1.0] * 40, [True] * 30 + [False] * 10)})
    resolved = resolve_record(rules, LabelPolicy(calibrator=wrong_often))
    assert resolved.status == "needs_review" and resolved.basis.startswith("rule consensus below threshold")
    assert resolve_record(rules, LabelPolicy()).basis == "rule consensus"


def test_label_partition_fits_on_the_partitions_human_labels() -> None:
    """40 records people labelled, where the LLM said positive at 0.97 and was wrong on 12: the 41st record's
    identical LLM answer goes to review."""
    views = [RecordView(f"r{n:02d}", "text", None) for n in range(41)]
    llm_rows = [
        {"record_id": v.record_id, "annotator": f"llm:v{i}", "annotator_kind": "llm", "label": "positive",
         "confidence": 0.97}
        for v in views for i in range(2)
    ]  # fmt: skip
    humans = pl.DataFrame(
        [(f"r{n:02d}", "ann", str(n), "t", "negative" if n < 12 else "positive", 15.0) for n in range(40)],
        schema=HUMAN_SCHEMA,
        orient="row",
    )
    plain = label_partition(views, {}, llm_rows, humans, LabelPolicy())
    assert plain.resolved[-1]["status"] == "auto"
    calibrated = label_partition(views, {}, llm_rows, humans, LabelPolicy(calibrate=True))
    assert calibrated.resolved[-1]["status"] == "needs_review"
    # 28 of 40 right (0.7); Platt's smoothed targets (29/30 for a hit, 1/14 for a miss) pull it a hair lower
    assert calibrated.resolved[-1]["confidence"] == pytest.approx((28 * 29 / 30 + 12 / 14) / 40, abs=1e-3)
    assert calibrated.calibrator.sources["llm"].method == "platt"
    assert calibrated.calibrator.metadata()["calibration/llm/samples"] == 40


def test_the_reliability_diagram_is_a_png() -> None:
    raw, correct = _overconfident(200)
    rows = [
        {"record_id": str(n), "annotator_kind": "llm", "label": "a", "confidence": float(score)}
        for n, score in enumerate(raw)
    ]
    gold = {str(n): "a" if ok else "b" for n, ok in enumerate(correct)}
    calibrator = fit_calibrator(rows, gold)
    png = reliability_png(calibrator)
    assert png.startswith(b"\x89PNG") and len(png) > 500
    assert calibrator.sources["llm"].samples == 200


def test_platt_below_a_thousand_labels_isotonic_from_there() -> None:
    """Platt scaling cannot follow the noise of a small sample; isotonic takes over once there is data enough,
    and both learn the same miscalibration."""
    small, large = fit_source("llm", *_overconfident(400)), fit_source("llm", *_overconfident(ISOTONIC_FROM))
    assert (small.method, large.method) == ("platt", "isotonic")
    for fitted in (small, large):
        assert fitted.calibrate(0.95) == pytest.approx(0.65, abs=0.07)
        assert fitted.ece_calibrated < fitted.ece_raw / 3
    # An honest source keeps its scores: Platt on the logit contains the identity.
    rng = np.random.default_rng(1)
    raw = rng.uniform(0.5, 1.0, 800)
    honest = fit_source("llm", raw, rng.uniform(0, 1, 800) < raw)
    assert honest.calibrate(0.9) == pytest.approx(0.9, abs=0.04)
    assert honest.calibrate(0.6) == pytest.approx(0.6, abs=0.06)


def test_a_calibrator_round_trips_through_json() -> None:
    raw, correct = _overconfident(300)
    rows = [
        {"record_id": str(n), "annotator_kind": "llm", "label": "a", "confidence": float(score)}
        for n, score in enumerate(raw)
    ]
    calibrator = fit_calibrator(rows, {str(n): "a" if ok else "b" for n, ok in enumerate(correct)})
    again = Calibrator.from_json(calibrator.to_json())
    assert again == calibrator and again.calibrate("llm", 0.9) == calibrator.calibrate("llm", 0.9)
    assert reliability_png(again) == reliability_png(calibrator)


def test_the_audit_slice_is_a_fixed_hash_fraction_and_calibration_prefers_it() -> None:
    ids = [f"rec-{n}" for n in range(4000)]
    chosen = [r for r in ids if in_audit(r, 0.05)]
    assert 150 < len(chosen) < 250  # about 5%, and the same on every call
    assert chosen == [r for r in ids if in_audit(r, 0.05)] and not any(in_audit(r, 0.0) for r in ids)
    assert set(chosen) <= {r for r in ids if in_audit(r, 0.2)}  # a larger fraction only adds records
    assert all(0 <= audit_position(r) < 1 for r in ids[:50])

    gold = {r: "a" for r in ids[:600]}
    audit_gold = {r for r in gold if in_audit(r, 0.05)}
    few, note = calibration_gold(gold, 0.05, min_samples=len(audit_gold) + 1)
    assert few == gold and "audit slice has" in note and "biased" in note
    enough, note = calibration_gold(gold, 0.05, min_samples=len(audit_gold))
    assert set(enough) == audit_gold and note.startswith(f"audit slice: {len(audit_gold)}")
    assert calibration_gold(gold)[1] == "all 600 human labels (no audit slice)"


def test_calibration_on_the_audit_slice_sees_past_a_biased_queue() -> None:
    """People labelled the LLM's hard cases (right half the time) and an audit slice (right 95% of the time):
    fitted on the audit slice, a 0.97 answer is trusted; fitted on everything, it would not be."""
    rng = np.random.default_rng(5)
    ids = [f"r{n:05d}" for n in range(3000)]
    audit = [r for r in ids if in_audit(r, 0.05)]
    hard = [r for r in ids if r not in set(audit)][:400]
    rows, gold = [], {}
    for record, accuracy in [(r, 0.95) for r in audit] + [(r, 0.5) for r in hard]:
        rows.append({"record_id": record, "annotator_kind": "llm", "label": "a", "confidence": 0.97})
        gold[record] = "a" if rng.uniform() < accuracy else "b"
    on_audit = fit_calibrator(rows, gold, audit_fraction=0.05)
    on_all = fit_calibrator(rows, gold)
    assert on_audit.basis.startswith("audit slice") and on_audit.sources["llm"].samples == len(audit)
    assert on_audit.calibrate("llm", 0.97) > 0.9 > 0.7 > on_all.calibrate("llm", 0.97)
    assert on_audit.metadata()["calibration/fitted_on"] == on_audit.basis
