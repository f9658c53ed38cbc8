"""Class balancing by deterministic under- or oversampling: which rows go, or which are repeated, is
decided by a hash of the row's id, not by chance, so the same candidate always balances the same way.

Oversampled copies carry ``oversampled = True`` (originals ``False``) so a trainer can weight or drop them;
they are only ever made for a training split (``labeled_dataset`` undersamples evaluation splits, which
must not hold copies)."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

import polars as pl

from gleaner.dataset.splitting import RANK_COLUMNS, stable_rank, stable_rank_columns


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
    return count_ratio(list(Counter(labels).values()))


def count_ratio(counts: list[int]) -> float:
    """The largest class over the smallest, from each class's size; infinite with fewer than two classes."""
    if len(counts) < 2:
        return float("inf")
    return max(counts) / min(counts)


def _hash_ranked(frame: pl.DataFrame, label_key: str, id_key: str, salt: str) -> pl.DataFrame:
    """`frame` with `_id` (the id as text), `_pos` (a row's place in its label's hash order, ties in row
    order, as `_classes_in_hash_order` sorts) and `_count` (its label's size); `_at` must hold row order."""
    ids = frame[id_key].cast(pl.String).fill_null("None")  # str(None), as the row functions read a missing id
    ranks = stable_rank_columns(ids, f"{salt}:", frame[label_key])
    return (
        frame.with_columns(_id=ids, **ranks)
        .sort([label_key, *RANK_COLUMNS, "_at"])
        .with_columns(_pos=pl.int_range(pl.len()).over(label_key), _count=pl.len().over(label_key).cast(pl.Int64))
    )


def balance_split_frame(
    rows: pl.DataFrame, split: str, label_key: str, id_key: str, max_ratio: float, strategy: str = "undersample"
) -> pl.DataFrame:
    """`balance_split` on a frame: the same rows, in the same order, with ``oversampled`` added as the last
    column. Hashes are computed per row in Python; grouping, cutting, copying and ordering are polars,
    where the row version built, sorted and copied a dict per row. The order is worked out on the label
    and id alone and the rows (text and all) are gathered once, in it: sorting the whole frame twice cost a
    sixth more at 330k rows."""
    if strategy not in STRATEGIES:
        raise ValueError(f"balance strategy {strategy!r} is not one of {', '.join(STRATEGIES)}")
    if max_ratio < 1:
        raise ValueError("max_ratio must be at least 1")
    columns = [*rows.columns, "oversampled"]
    if rows[label_key].n_unique() < 2:  # one class (or none): nothing to balance, rows as they came
        return rows.with_columns(oversampled=pl.lit(False))
    indexed = rows.select(label_key, id_key).with_row_index("_at")
    if strategy == "oversample" and split == "train":
        ranked = _hash_ranked(indexed, label_key, id_key, "oversample")
        floor = math.ceil(ranked["_count"].max() / max_ratio)
        deficits = (
            ranked.group_by(label_key)
            .agg(_count=pl.len().cast(pl.Int64))  # signed: a class above the floor needs no copies
            .with_columns(_n=pl.int_ranges(0, pl.max_horizontal(0, floor - pl.col("_count"))))
            .explode("_n")
            .drop_nulls("_n")
            .with_columns(_pos=pl.col("_n") % pl.col("_count"))
            .select(label_key, "_pos", "_n")
        )
        copies = deficits.join(ranked, on=[label_key, "_pos"], how="left").with_columns(
            oversampled=pl.lit(True), _k=pl.col(label_key), _order=pl.col("_n").cast(pl.Int64)
        )
        originals = ranked.with_columns(oversampled=pl.lit(False), _k=pl.lit(""), _order=pl.col("_at").cast(pl.Int64))
        plan = pl.concat([originals, copies.select(originals.columns)]).sort(["_id", "oversampled", "_k", "_order"])
    else:
        ranked = _hash_ranked(indexed, label_key, id_key, "balance")
        cap = int(ranked.group_by(label_key).len()["len"].min() * max_ratio)
        plan = (
            ranked.filter(pl.col("_pos") < cap).sort(["_id", label_key, "_at"]).with_columns(oversampled=pl.lit(False))
        )
    return rows.select(pl.all().gather(plan["_at"])).with_columns(plan["oversampled"]).select(columns)
