"""Agreement between annotators, computed by statsmodels and krippendorff, and Cohen's kappa the way
scikit-learn computes it.

Cohen's kappa is the one figure not handed to a library call: `cohen_kappa_counts` repeats
`sklearn.metrics.cohen_kappa_score`'s arithmetic on the confusion matrix, operation for operation, so it
gives the same bits (tests/labeling/test_agreement.py holds it to scikit-learn's on random tables), without
the second of imports that scikit-learn costs a `gleaner publish` that needs nothing else from it.

Input everywhere is `votes`: annotator -> {item -> label}; an abstention or a missing annotation is simply
absent. The same functions serve the `labels` asset, the candidate dataset and `gleaner agreement FILE`.

A statistic that is undefined (one label only, so chance agreement is total; or nothing to compare) is
`None`, never a made-up 0 or 1: a gate must not pass on a number that means nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from itertools import combinations
from typing import Any

import krippendorff
import numpy as np

Votes = Mapping[str, Mapping[str, str]]
DIGITS = 4  # reported precision: stable manifests and JSON, far below any sampling error


def _defined(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float | None:
    """Cohen's kappa of two annotators over the same items, in the same order."""
    pairs = Counter(zip(a, b, strict=True))
    return cohen_kappa_counts([p[0] for p in pairs], [p[1] for p in pairs], list(pairs.values()))


def cohen_kappa_counts(a: Sequence[str], b: Sequence[str], counts: Sequence[int]) -> float | None:
    """`cohen_kappa` over items given as distinct label pairs (`a[k]`, `b[k]`) and how many items gave each:
    scikit-learn's `cohen_kappa_score` on the confusion matrix these counts make (labels sorted, the float
    matrix, chance agreement from its margins, unweighted), so the same bits as scikit-learn's from the
    items one by one; None where scikit-learn's is undefined or there is only one label."""
    labels = sorted(set(a) | set(b))
    if len(labels) < 2:
        return None
    at = {label: i for i, label in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for left, right, n in zip(a, b, counts, strict=True):
        confusion[at[left], at[right]] += n
    confusion = confusion.astype(np.float64)
    sum0, sum1 = np.sum(confusion, axis=0), np.sum(confusion, axis=1)
    total = np.sum(sum0)
    if total == 0:
        return None
    expected = np.outer(sum0, sum1) / total
    disagreeing = np.ones((len(labels), len(labels)), dtype=np.float64)
    np.fill_diagonal(disagreeing, 0)
    chance = np.sum(disagreeing * expected)
    if chance == 0:
        return None
    return _defined(float(1 - np.sum(disagreeing * confusion) / chance))


def shared_pairs(votes: Mapping[str, Mapping[str, Any]], min_shared: int = 1) -> Iterator[tuple[dict, list, list]]:
    """For each annotator pair with `min_shared` items in common (at least one): the row's identity
    (`pair`, `left`, `right`, `n_shared`), the shared items in order, and the two annotators' values on them."""
    for left, right in combinations(sorted(votes), 2):
        shared = sorted(set(votes[left]) & set(votes[right]))
        if not shared or len(shared) < min_shared:
            continue
        row = {"pair": f"{left} ~ {right}", "left": left, "right": right, "n_shared": len(shared)}
        yield row, shared, [[votes[left][i] for i in shared], [votes[right][i] for i in shared]]


def pairwise_cohen(votes: Votes, min_shared: int = 1) -> list[dict[str, object]]:
    """Cohen's kappa for every pair of annotators, on the items both labelled."""
    rows = []
    for row, shared, (a, b) in shared_pairs(votes, min_shared):
        observed = round(sum(x == y for x, y in zip(a, b, strict=True)) / len(shared), DIGITS)
        rows.append({**row, "observed_agreement": observed, "kappa": _round(cohen_kappa(a, b))})
    return rows


def fleiss(ratings: Sequence[Sequence[str]]) -> float | None:
    """Fleiss' kappa (statsmodels) over items that each received the same number of ratings.

    Fleiss' model needs a fixed number of ratings per item but not the same raters, which is why it takes
    bare label lists rather than `votes`.
    """
    sizes = {len(r) for r in ratings}
    if len(sizes) > 1:
        raise ValueError(f"Fleiss' kappa needs the same number of ratings per item, got {sorted(sizes)}")
    categories = sorted({label for item in ratings for label in item})
    if not ratings or sizes.pop() < 2 or len(categories) < 2:
        return None
    from statsmodels.stats.inter_rater import aggregate_raters  # a second of imports: here only

    codes = np.array([[categories.index(label) for label in item] for item in ratings])
    counts, _ = aggregate_raters(codes, n_cat=len(categories))
    return fleiss_table(counts)


def fleiss_table(counts: np.ndarray) -> float | None:
    """Fleiss' kappa of an items x categories table of rating counts (`aggregate_raters`' output)."""
    from statsmodels.stats.inter_rater import fleiss_kappa  # a second of imports: here only

    return _defined(fleiss_kappa(counts, method="fleiss"))


def fleiss_ratings(votes: Votes, annotators: Sequence[str] | None = None) -> list[list[str]]:
    """The items Fleiss' kappa can use, as label lists.

    With `annotators`: the items every one of them labelled. Without: the items that received the most
    common number of ratings (two or more; a tie goes to the larger number), whoever gave them.
    """
    by_item: dict[str, list[str]] = {}
    for annotator in sorted(votes):
        for item, label in votes[annotator].items():
            by_item.setdefault(item, []).append(label)
    if annotators is not None:
        wanted = list(annotators)
        if len(wanted) < 2:
            return []
        return [
            [votes[a][item] for a in wanted]
            for item in sorted(by_item)
            if all(item in votes.get(a, {}) for a in wanted)
        ]
    sizes = Counter(len(labels) for labels in by_item.values() if len(labels) >= 2)
    if not sizes:
        return []
    size = max(sizes, key=lambda n: (sizes[n], n))
    return [by_item[item] for item in sorted(by_item) if len(by_item[item]) == size]


def krippendorff_alpha(votes: Votes) -> float | None:
    """Nominal Krippendorff's alpha (the krippendorff package) over every annotator, missing data allowed.

    Items only one annotator labelled are unpairable and drop out, as the statistic defines.
    """
    items = sorted({item for labels in votes.values() for item in labels})
    categories = sorted({label for labels in votes.values() for label in labels.values()})
    if len(categories) < 2 or len(votes) < 2:
        return None
    code = {label: float(i) for i, label in enumerate(categories)}
    matrix = np.array([[code.get(labels.get(item), np.nan) for item in items] for _, labels in sorted(votes.items())])
    return krippendorff_alpha_matrix(matrix, list(code.values()))


def krippendorff_alpha_matrix(matrix: np.ndarray, value_domain: list[float]) -> float | None:
    """Nominal alpha of an annotators x items matrix of category codes (nan: no label)."""
    try:
        value = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal", value_domain=value_domain)
    except ValueError:  # no item labelled by two annotators
        return None
    return _defined(value)


def agreement_report(
    votes: Votes, fleiss_annotators: Sequence[str] | None = None, min_shared: int = 1
) -> dict[str, Any]:
    """Everything at once, as `gleaner agreement` prints it and the assets record it."""
    ratings = fleiss_ratings(votes, fleiss_annotators)
    pairs = pairwise_cohen(votes, min_shared)
    return {
        "cohen": {row["pair"]: {k: v for k, v in row.items() if k != "pair"} for row in pairs},
        "fleiss": _round(fleiss(ratings)),
        "fleiss_items": len(ratings),
        "fleiss_raters": len(ratings[0]) if ratings else None,
        "fleiss_annotators": None if fleiss_annotators is None else sorted(fleiss_annotators),
        "krippendorff_alpha": _round(krippendorff_alpha(votes)),
        "n_items": len({item for labels in votes.values() for item in labels}),
        "n_annotators": sum(bool(labels) for labels in votes.values()),
    }


def cohen_rows(report: Mapping[str, Any]) -> list[dict[str, object]]:
    """The report's pairs as `pairwise_cohen` rows (what the gate and the manifest read)."""
    return [{"pair": pair, **row} for pair, row in report["cohen"].items()]
