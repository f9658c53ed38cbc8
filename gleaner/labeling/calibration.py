"""Calibrated confidence: a machine label's raw score mapped to the probability that it is correct.

Each machine source reports a score on its own scale: the LLM majority its mean self-reported confidence,
the rules the share of voting rules that agree, the model in the loop its predicted probability. None of
them is a probability of being right (models are famously overconfident). On the records people labelled,
each source's raw score is paired with whether its label matched theirs, and an isotonic regression
(scikit-learn) learns the monotone map from score to P(correct). Routing then compares the calibrated
probability, not the raw score, with the review threshold (`LabelPolicy.calibrator`).

With fewer than `min_samples` human-labelled records for a source the map is the identity and the source's
`note` says so: a curve fitted on a handful of points would route on noise. Expected calibration error
(ECE, ten equal-width bins) is reported before and after; the after figure is out-of-fold (each fifth
calibrated by a map fitted on the other four) so an isotonic fit cannot flatter itself. `reliability_png`
draws the reliability diagram (accuracy per confidence bin against the diagonal) for asset metadata and
the dataset card.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from gleaner.labeling.voting import plurality

MIN_SAMPLES = 30
BINS = 10
FOLDS = 5
SOURCES = ("llm", "lf", "model")


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = BINS) -> float:
    """Mean |accuracy - confidence| over equal-width bins, weighted by how many scores fall in each."""
    scores, hits = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    if scores.size == 0:
        return 0.0
    which = np.minimum((scores * bins).astype(int), bins - 1)
    error = sum(abs(hits[which == b].mean() - scores[which == b].mean()) * (which == b).sum() for b in set(which))
    return float(error / scores.size)


def _isotonic(scores: np.ndarray, hits: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    from sklearn.isotonic import IsotonicRegression  # imported when a calibrator is fitted, not by every command

    fitted = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(scores, hits)
    return tuple(map(float, fitted.X_thresholds_)), tuple(map(float, fitted.y_thresholds_))


@dataclass(frozen=True)
class SourceCalibration:
    source: str
    samples: int  # records with a human label and a label from this source
    ece_raw: float
    ece_calibrated: float  # out of fold; equal to ece_raw when not fitted
    note: str
    knots: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())  # the isotonic map; empty: identity
    bins: tuple[tuple[float, float, int], ...] = ()  # (mean raw score, accuracy, count) per non-empty bin

    @property
    def fitted(self) -> bool:
        return bool(self.knots[0])

    def calibrate(self, raw: float) -> float:
        if not self.fitted:
            return raw
        return float(np.interp(raw, *self.knots))


def fit_source(
    source: str, raw: Sequence[float], correct: Sequence[bool], min_samples: int = MIN_SAMPLES
) -> SourceCalibration:
    """The isotonic map of `source`'s raw scores to P(correct), or the identity below `min_samples`."""
    scores, hits = np.asarray(raw, dtype=float), np.asarray(correct, dtype=float)
    which = np.minimum((scores * BINS).astype(int), BINS - 1)
    bins = tuple(
        (float(scores[which == b].mean()), float(hits[which == b].mean()), int((which == b).sum()))
        for b in sorted(set(which))
    )
    ece_raw = expected_calibration_error(scores, hits)
    if scores.size < min_samples:
        note = f"raw scores: {scores.size} human-labelled records, calibration needs {min_samples}"
        return SourceCalibration(source, int(scores.size), ece_raw, ece_raw, note, bins=bins)
    out_of_fold = np.empty_like(scores)
    folds = np.arange(scores.size) % FOLDS
    for fold in range(FOLDS):
        xs, ys = _isotonic(scores[folds != fold], hits[folds != fold])
        out_of_fold[folds == fold] = np.interp(scores[folds == fold], xs, ys)
    note = f"isotonic on {scores.size} human-labelled records"
    ece = expected_calibration_error(out_of_fold, hits)
    return SourceCalibration(source, int(scores.size), ece_raw, ece, note, _isotonic(scores, hits), bins)


@dataclass(frozen=True)
class Calibrator:
    """One calibration per machine source (`llm`, `lf`, `model`); a source without one is the identity."""

    sources: Mapping[str, SourceCalibration] = field(default_factory=dict)

    def calibrate(self, source: str, raw: float) -> float:
        fitted = self.sources.get(source)
        return raw if fitted is None else fitted.calibrate(raw)

    def fitted(self, source: str) -> bool:
        return source in self.sources and self.sources[source].fitted

    def metadata(self) -> dict[str, object]:
        """Flat figures per source for asset metadata: samples, ECE before and after, the note."""
        out: dict[str, object] = {}
        for name, c in sorted(self.sources.items()):
            out |= {
                f"calibration/{name}/samples": c.samples,
                f"calibration/{name}/ece_raw": round(c.ece_raw, 4),
                f"calibration/{name}/ece_calibrated": round(c.ece_calibrated, 4),
                f"calibration/{name}/note": c.note,
            }
        return out


def source_scores(rows: Iterable[Mapping[str, object]]) -> dict[str, dict[str, tuple[str, float]]]:
    """Each machine source's label and raw score per record, from vote rows (`LABEL_SCHEMA` columns):
    the LLM majority and its mean confidence, the rules' plurality and their agreeing share, the model's
    label and probability."""
    by: dict[tuple[str, str], list[tuple[str, float | None]]] = {}
    for row in rows:
        kind, label = row["annotator_kind"], row["label"]
        if kind in SOURCES and label is not None:
            by.setdefault((str(kind), str(row["record_id"])), []).append((str(label), row["confidence"]))  # type: ignore[arg-type]
    scores: dict[str, dict[str, tuple[str, float]]] = {source: {} for source in SOURCES}
    for (kind, record_id), votes in by.items():
        label, count = plurality(v for v, _ in votes)
        if label is None:
            continue
        if kind == "lf":
            scores[kind][record_id] = (label, count / len(votes))
        else:
            agreeing = [float(c or 0.0) for v, c in votes if v == label]
            scores[kind][record_id] = (label, sum(agreeing) / len(agreeing))
    return scores


def fit_calibrator(
    rows: Iterable[Mapping[str, object]], gold: Mapping[str, str], min_samples: int = MIN_SAMPLES
) -> Calibrator:
    """Calibrate every machine source that labelled a record people labelled (`gold`: record id -> label)."""
    fitted = {}
    for source, labels in source_scores(rows).items():
        shared = sorted(r for r in labels if r in gold)
        if shared:
            raw = [labels[r][1] for r in shared]
            correct = [labels[r][0] == gold[r] for r in shared]
            fitted[source] = fit_source(source, raw, correct, min_samples)
    return Calibrator(fitted)


def reliability_png(calibrator: Calibrator, size: int = 240) -> bytes:
    """A reliability diagram per source, side by side: bars are the accuracy in each raw-score bin, the
    line the calibrated map, the diagonal perfect calibration."""
    from PIL import Image, ImageDraw  # only when a diagram is drawn

    panels = sorted(calibrator.sources.values(), key=lambda c: c.source) or [SourceCalibration("none", 0, 0, 0, "")]
    pad = 24
    image = Image.new("RGB", (size * len(panels), size + pad), "white")
    draw = ImageDraw.Draw(image)
    inner = size - 2 * pad
    for n, c in enumerate(panels):
        left, bottom = n * size + pad, size - pad

        def point(x: float, y: float, left: int = left, bottom: int = bottom) -> tuple[float, float]:
            return left + x * inner, bottom - y * inner

        draw.rectangle([point(0, 1), point(1, 0)], outline="black")
        draw.line([point(0, 0), point(1, 1)], fill="gray")
        for mean, accuracy, _ in c.bins:
            lower = min(int(mean * BINS), BINS - 1) / BINS
            draw.rectangle([point(lower, accuracy), point(lower + 1 / BINS, 0)], fill="steelblue", outline="white")
        if c.fitted:
            xs = np.linspace(0, 1, 41)
            draw.line([point(x, c.calibrate(x)) for x in xs], fill="darkorange", width=2)
        title = f"{c.source}: ECE {c.ece_raw:.3f} -> {c.ece_calibrated:.3f} (n={c.samples})"
        draw.text((left, 4), title, fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
