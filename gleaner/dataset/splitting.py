"""Train/validation/test assignment that is deterministic and never splits a duplicate cluster.

A cluster's split comes from a hash of its id, ranked within its label, so the same data always gives
the same splits, adding one record moves few others, and each label is spread over every split.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class SplitRatios:
    train: float = 0.8
    validation: float = 0.1
    test: float = 0.1

    def __post_init__(self) -> None:
        if abs(self.train + self.validation + self.test - 1.0) > 1e-9:
            raise ValueError("split ratios must add up to 1")


def stable_rank(key: str, salt: str = "") -> str:
    return hashlib.sha256(f"{salt}\x1f{key}".encode()).hexdigest()


def _cut(n: int, ratios: SplitRatios) -> list[int]:
    """Sizes per split; when there are enough items every split gets at least one."""
    sizes = [int(n * ratios.validation), int(n * ratios.test)]
    if n >= 3:
        sizes = [max(1, s) for s in sizes]
    return [n - sum(sizes), *sizes]


def assign_splits(cluster_labels: dict[str, str], ratios: SplitRatios = SplitRatios()) -> dict[str, str]:
    """Map cluster id -> split, stratified by the cluster's label."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for cluster, label in cluster_labels.items():
        by_label[label].append(cluster)
    assignment: dict[str, str] = {}
    for label, clusters in sorted(by_label.items()):
        ordered = sorted(clusters, key=lambda c: stable_rank(c, f"split:{label}"))
        start = 0
        for split, size in zip(SPLITS, _cut(len(ordered), ratios), strict=True):
            for cluster in ordered[start : start + size]:
                assignment[cluster] = split
            start += size
    return assignment
