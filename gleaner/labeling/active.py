"""A model in the loop: a small classifier trained on what is labelled, to rank the review queue, vote, and
find labels that are likely wrong.

Each run fits word and character n-gram TF-IDF features once on the records already labelled (auto or
human), and a logistic regression on them (scikit-learn; fixed `random_state`, so a rerun on the same labels
gives the same numbers; above `SGD_ABOVE` records, SGD on the same loss over word n-grams alone). The
cross-validation folds and the final model share that one feature matrix (the vocabulary sees every
labelled text, the labels only the fold's), and:
- predicts the pending ones; its uncertainty (`uncertainty`: 1 - its top probability) is the review
  priority, so people see the most informative records first;
- votes on every record as annotator `model:logreg` (kind `model`): out-of-fold probabilities for the
  labelled ones (`cross_val_predict`, so the model never grades a label it was trained on), the fitted
  model's for the pending. Its votes enter the agreement tables and calibration but never settle a label:
  resolution ignores the kind;
- hands the out-of-fold probabilities to cleanlab's `find_label_issues`: an automatic label that confident
  learning says is likely wrong goes back to review with the basis `label_issue`. Human labels are never
  flagged: people confirmed them.

Too little to learn from (fewer than `MIN_TRAINING` labelled records, fewer than two labels with at least
`FOLDS` records each) means no model this run, and it says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gleaner.labeling.functions import RecordView
from gleaner.labeling.word_ngrams import WordNgramTfidf
from gleaner.parallel import default_workers

MODEL_ANNOTATOR = "model:logreg"
MIN_TRAINING = 20
FOLDS = 5
SEED = 0
SGD_ABOVE = 5000  # training records beyond which a stochastic-gradient logistic regression fits instead


def _vectorizer(training: int):
    """Word 1-2-gram and character 2-4-gram TF-IDF up to `SGD_ABOVE` training records; word 1-2-grams alone
    above. The character branch earns its cost on little data: without it, benchmarks/active_learning.py
    needed 780 human labels instead of 555 to reach 95% accuracy (labels saved 1.9x instead of 2.7x) and the
    raw calibration error rose from 0.011 to 0.070. On much data it does not: on the 72k labelled records of
    benchmarks/end_to_end.py both give the same out-of-fold accuracy (0.9998), and the characters cost 45 s of
    features and fits against 8 s for words alone (6x the non-zeros per record). Words alone are counted in
    polars (`gleaner.labeling.word_ngrams`: the vectorizer's matrix, 2 s instead of 6 s at 82k records)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    if training > SGD_ABOVE:  # the same matrix as the TfidfVectorizer below, a third of the time
        return WordNgramTfidf()
    words = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True)
    return FeatureUnion([("words", words), ("chars", chars)])


def _classifier(training: int):
    """Logistic regression (lbfgs); above `SGD_ABOVE` training records the same loss fitted by stochastic
    gradient descent, which is linear in the records where lbfgs on these many features took over a minute
    at 16k. Both are seeded: the same inputs give the same probabilities."""
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    if training > SGD_ABOVE:  # one binary fit per class, in turn: `_fits` runs the models side by side
        return SGDClassifier(loss="log_loss", random_state=SEED)
    return LogisticRegression(C=4.0, max_iter=1000, random_state=SEED)


def _fits(features, y: np.ndarray) -> tuple[np.ndarray, object]:
    """scikit-learn's ``cross_val_predict(method="predict_proba")`` over `FOLDS` stratified folds, and the
    model fitted on everything: the same six fits, the same probabilities, with the six on threads at once.

    SGD's epochs run without the GIL, so two fits on two threads take both cores; scikit-learn's own
    threading (one thread per class's binary fit, within one fit at a time) left a core idle in every fold
    of three classes on two cores. On the day-1 partition of benchmarks/end_to_end.py (72k labelled
    records) the model pass went from 7.1-7.5 s to 5.8-6.3 s, with the same votes. Every class is in every
    training fold: `model_pass` only learns labels with at least `FOLDS` records, which stratification
    spreads one or more to each fold."""
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.model_selection import StratifiedKFold

    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)

    def fold(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return test, _classifier(len(y)).fit(features[train], y[train]).predict_proba(features[test])

    with ThreadPoolExecutor(default_workers()) as pool:
        model = pool.submit(_classifier(len(y)).fit, features, y)
        parts = [pool.submit(fold, train, test) for train, test in folds.split(features, y)]
        out_of_fold = np.zeros((len(y), len(np.unique(y))))
        for part in parts:
            test, probabilities = part.result()
            out_of_fold[test] = probabilities
        return out_of_fold, model.result()


def uncertainty(confidence: float) -> float:
    """Least-confidence uncertainty, 1 - the top probability: it orders two labels exactly as the margin and
    the entropy do, and it can be read back from the model's stored vote (its `confidence`)."""
    return round(1.0 - confidence, 6)


@dataclass(frozen=True)
class ModelPass:
    votes: list[dict]  # LABEL_SCHEMA-shaped vote rows, one per record the model saw
    priority: dict[str, float]  # pending record id -> uncertainty (higher: review sooner)
    label_issues: list[str]  # auto-labelled record ids whose label is likely wrong
    note: str
    classes: tuple[str, ...] = field(default=())

    def metadata(self) -> dict[str, object]:
        return {
            "model_in_loop": self.note,
            "model_votes": len(self.votes),
            "label_issues": len(self.label_issues),
        }


def model_pass(
    views: Sequence[RecordView],
    labelled: dict[str, tuple[str, str]],
    min_training: int = MIN_TRAINING,
) -> ModelPass:
    """Train on `labelled` (record id -> (label, status `auto` or `human`)), predict the rest of `views`."""
    by_id = {v.record_id: v for v in views}
    known = sorted(r for r in labelled if r in by_id)
    counts = Counter(labelled[r][0] for r in known)
    learnable = sorted(label for label, n in counts.items() if n >= FOLDS)
    train = [r for r in known if labelled[r][0] in learnable]
    if len(train) < min_training or len(learnable) < 2:
        note = f"no model: {len(known)} labelled records, {len(learnable)} labels with {FOLDS}+ records"
        return ModelPass([], {}, [], note)

    vectorizer = _vectorizer(len(train))
    features = vectorizer.fit_transform([by_id[r].text for r in train])
    y = np.array([learnable.index(labelled[r][0]) for r in train])
    out_of_fold, model = _fits(features, y)
    pending = [v.record_id for v in views if v.record_id not in labelled]
    predicted = (
        model.predict_proba(vectorizer.transform([by_id[r].text for r in pending]))
        if pending
        else np.zeros((0, len(learnable)))
    )

    votes = _votes(train + pending, learnable, np.vstack([out_of_fold, predicted]))
    priority = {r: uncertainty(top) for r, top in zip(pending, predicted.max(axis=1).tolist(), strict=True)}
    issues = _label_issues(train, y, out_of_fold, labelled)
    note = f"logistic regression on {len(train)} labelled records, {len(pending)} pending predicted"
    return ModelPass(votes, priority, issues, note, tuple(learnable))


def _votes(record_ids: list[str], classes: list[str], probabilities: np.ndarray) -> list[dict]:
    """One vote per record: its most probable class (the first on a tie) and that probability."""
    best = probabilities.argmax(axis=1)
    confidence = probabilities[np.arange(len(best)), best]
    return [
        {
            "record_id": record_id,
            "annotator": MODEL_ANNOTATOR,
            "annotator_kind": "model",
            "label": classes[column],
            "confidence": round(top, 6),
        }
        for record_id, column, top in zip(record_ids, best.tolist(), confidence.tolist(), strict=True)
    ]


def _label_issues(
    train: list[str], y: np.ndarray, out_of_fold: np.ndarray, labelled: dict[str, tuple[str, str]]
) -> list[str]:
    from cleanlab.filter import find_label_issues  # imports pandas: only when there is something to check

    # n_jobs=1: cleanlab would otherwise start a process pool per call (slower at this size, and a worker
    # killed with its run prints a traceback of its own)
    flagged = find_label_issues(labels=y, pred_probs=out_of_fold, filter_by="prune_by_noise_rate", n_jobs=1)
    return [r for r, bad in zip(train, flagged, strict=True) if bad and labelled[r][1] == "auto"]
