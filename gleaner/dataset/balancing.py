"""Class balancing by deterministic under- or oversampling: which rows go, or which are repeated, is
decided by a hash of the row's id, not by chance, so the same candidate always balances the same way.

Oversampled copies carry ``oversampled = True`` (originals ``False``) so a trainer can weight or drop them;
they are only ever made for a training split (``labeled_dataset`` undersamples evaluation splits, which
must not hold copies)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from gleaner.dataset.splitting import stable_rank


def _classes_in_hash_order(rows: list[dict], label_key: str, id_key: str, salt: str, max_ratio: float):
    """Each label with its rows ordered by a hash of their id (salted per use), labels sorted."""
    if max_ratio < 1:
        raise ValueError("max_ratio must be at least 1")
    by_label: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_label[row[label_key]].append(row)
    return [
        (label, sorted(members, key=lambda r: stable_rank(str(r[id_key]), f"{salt}:{label}")))
        for label, members in sorted(by_label.items())
    ]


def balance(rows: list[dict], label_key: str, id_key: str, max_ratio: float = 1.5) -> list[dict]:
    """Keep every row of the smallest class and at most `max_ratio` times as many of each other class."""
    classes = _classes_in_hash_order(rows, label_key, id_key, "balance", max_ratio)
    if len(classes) < 2:
        return list(rows)
    cap = int(min(len(members) for _, members in classes) * max_ratio)
    kept = [row for _, members in classes for row in members[:cap]]
    return sorted(kept, key=lambda r: str(r[id_key]))


def oversample(rows: list[dict], label_key: str, id_key: str, max_ratio: float = 1.5) -> list[dict]:
    """Keep every row, and repeat rows of each smaller class until it is at least 1/`max_ratio` of the
    largest; copies are taken in hash order, cycling, and marked ``oversampled``."""
    classes = _classes_in_hash_order(rows, label_key, id_key, "oversample", max_ratio)
    out = [{**r, "oversampled": False} for r in rows]
    if len(classes) < 2:
        return out
    floor = math.ceil(max(len(members) for _, members in classes) / max_ratio)
    for _, order in classes:
        out.extend({**order[n % len(order)], "oversampled": True} for n in range(max(0, floor - len(order))))
    return sorted(out, key=lambda r: (str(r[id_key]), r["oversampled"]))


STRATEGIES = ("undersample", "oversample")


def balance_split(
    rows: list[dict], split: str, label_key: str, id_key: str, max_ratio: float, strategy: str = "undersample"
) -> list[dict]:
    """Balance one split's rows; every row comes back with ``oversampled`` set. Oversampling applies to
    ``train`` only: validation and test are undersampled, so evaluation never counts a copy twice."""
    if strategy not in STRATEGIES:
        raise ValueError(f"balance strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
    if strategy == "oversample" and split == "train":
        return oversample(rows, label_key, id_key, max_ratio)
    return [{**r, "oversampled": False} for r in balance(rows, label_key, id_key, max_ratio)]


def imbalance_ratio(labels: list[str]) -> float:
    counts = Counter(labels)
    if len(counts) < 2:
        return float("inf")
    return max(counts.values()) / min(counts.values())
