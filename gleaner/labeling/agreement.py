"""Agreement between annotation sources, computed by scikit-learn and statsmodels rather than by hand."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa


def _kappa(a: list[str], b: list[str]) -> float:
    if len(set(a) | set(b)) < 2:  # one label only: chance agreement is total and kappa undefined
        return 1.0 if a == b else 0.0
    return float(cohen_kappa_score(a, b))


def pairwise_cohen(votes: dict[str, dict[str, str]], min_shared: int = 1) -> list[dict[str, object]]:
    """Cohen's kappa for every pair of annotators, on the items both labelled.

    `votes` maps annotator -> {item -> label}; abstentions are simply absent.
    """
    rows = []
    for left, right in combinations(sorted(votes), 2):
        shared = sorted(set(votes[left]) & set(votes[right]))
        if len(shared) < min_shared:
            continue
        a = [votes[left][i] for i in shared]
        b = [votes[right][i] for i in shared]
        rows.append(
            {
                "pair": f"{left} ~ {right}",
                "left": left,
                "right": right,
                "n_shared": len(shared),
                "observed_agreement": round(float(np.mean([x == y for x, y in zip(a, b, strict=True)])), 4),
                "kappa": round(_kappa(a, b), 4),
            }
        )
    return rows


def fleiss(item_votes: dict[str, list[str]], raters: int) -> float | None:
    """Fleiss' kappa over items that received exactly `raters` votes (its model needs a fixed count)."""
    table = [labels for labels in item_votes.values() if len(labels) == raters]
    if len(table) < 2 or raters < 2:
        return None
    categories = sorted({label for labels in table for label in labels})
    codes = np.array([[categories.index(label) for label in labels] for labels in table])
    counts, _ = aggregate_raters(codes, n_cat=len(categories))
    value = fleiss_kappa(counts, method="fleiss")
    return None if np.isnan(value) else round(float(value), 4)
