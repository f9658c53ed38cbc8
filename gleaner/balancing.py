"""Class balancing by deterministic undersampling: which rows go is decided by a hash, not by chance."""

from __future__ import annotations

from collections import Counter, defaultdict

from gleaner.splitting import stable_rank


def balance(rows: list[dict], label_key: str, id_key: str, max_ratio: float = 1.5) -> list[dict]:
    """Keep every row of the smallest class and at most `max_ratio` times as many of each other class."""
    if max_ratio < 1:
        raise ValueError("max_ratio must be at least 1")
    counts = Counter(r[label_key] for r in rows)
    if len(counts) < 2:
        return list(rows)
    cap = int(min(counts.values()) * max_ratio)
    by_label: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_label[row[label_key]].append(row)
    kept: list[dict] = []
    for label, members in sorted(by_label.items()):
        members = sorted(members, key=lambda r: stable_rank(str(r[id_key]), f"balance:{label}"))
        kept.extend(members[:cap])
    return sorted(kept, key=lambda r: str(r[id_key]))


def imbalance_ratio(labels: list[str]) -> float:
    counts = Counter(labels)
    if len(counts) < 2:
        return float("inf")
    return max(counts.values()) / min(counts.values())
