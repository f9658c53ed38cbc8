"""Partitions of a review dataset with duplicates planted across them, for the incremental candidate's tests.

Three days (`A`, `B`, `C`) of one source. Across days there are exact copies (the same text up to case and
spacing, under another id), near copies (one word of sixty changed: Jaccard about 0.84), a chain
a ~ b ~ c whose ends are apart (and a record reinstated: removed by its day in favour of a record the
global pass removes), a review re-scraped on a later day under the same id (once verbatim, once
edited), and the same two-word text every day (one shingle: exact copies, whatever the case).
Each day is deduplicated on its own by the real kernel, as `deduped_records` is when the days are
materialized with nothing before them, so later days hold stale survivors the global pass settles, and a
day materialized late holds records that outrank ones already kept. Votes carry two rule sources (the
gate's kappa pair), two unconditional LLM votes, a conditional one, abstentions, a human label, and the
resolved row, with some records left pending.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from gleaner.dedup import content_hash, dedup

DAYS = {"A": "2026-11-20", "B": "2026-11-21", "C": "2026-11-22"}
SOURCE = "acme"
LABELS = ("positive", "negative", "neutral")


@dataclass(frozen=True)
class Partition:
    key: dict[str, str]  # as the warehouse partitions it
    canonical: pl.DataFrame
    deduped: pl.DataFrame
    removals: pl.DataFrame
    votes: pl.DataFrame


def _vocabulary(rng: random.Random) -> list[str]:
    return [hashlib.sha256(f"w{i}".encode()).hexdigest()[: rng.randint(3, 8)] for i in range(4000)]


def _text(rng: random.Random, vocabulary: list[str], n: int = 60) -> list[str]:
    return [rng.choice(vocabulary) for _ in range(n)]


def _edit(words: list[str], positions: list[int], marker: str) -> list[str]:
    edited = list(words)
    for p in positions:
        edited[p] = f"{marker}{p}"
    return edited


def _texts(seed: int) -> dict[str, list[tuple[str, str]]]:
    """day -> (record_id, text); ids are unique across days except the re-scrapes."""
    rng = random.Random(seed)
    vocabulary = _vocabulary(rng)
    days: dict[str, list[tuple[str, str]]] = {d: [] for d in DAYS}
    originals = {d: [_text(rng, vocabulary) for _ in range(40)] for d in DAYS}
    for day, texts in originals.items():
        days[day] += [(f"{day.lower()}-{i:03d}", " ".join(t)) for i, t in enumerate(texts)]
        days[day].append((f"{day.lower()}-short", "Great product!" if day != "B" else "great  PRODUCT!"))
    # exact copies across days (case and spacing differ), and within a day
    days["B"] += [(f"b-exact-{i}", "  ".join(originals["A"][i]).upper()) for i in range(4)]
    days["C"] += [(f"c-exact-{i}", " ".join(originals["B"][i])) for i in range(4)]
    days["A"] += [(f"a-exact-{i}", " ".join(originals["C"][i + 10])) for i in range(3)]
    days["A"].append(("a-exact-self", " ".join(originals["A"][20])))
    # near copies across days: one word of sixty
    days["B"] += [(f"b-near-{i}", " ".join(_edit(originals["A"][i + 5], [30], "n"))) for i in range(5)]
    days["C"] += [(f"c-near-{i}", " ".join(_edit(originals["A"][i + 5], [31], "m"))) for i in range(5)]
    days["A"] += [(f"a-near-{i}", " ".join(_edit(originals["C"][i + 20], [12], "k"))) for i in range(4)]
    # a chain a ~ b ~ c over three days, a and c apart
    base = _text(rng, vocabulary, 200)
    step = _edit(base, [10, 20, 30, 40], "x")
    days["A"].append(("a-chain", " ".join(base)))
    days["B"].append(("b-chain", " ".join(step)))
    # within B, b-chain2 goes for b-chain; globally b-chain goes for a-chain, so b-chain2 is reinstated
    days["B"].append(("b-chain2", " ".join(_edit(step, [150, 160, 170, 180], "z"))))
    days["C"].append(("c-chain", " ".join(_edit(step, [100, 110, 120, 130], "y"))))
    # re-scrapes: the same id on a later day, verbatim and edited
    days["C"] += [("a-000", " ".join(originals["A"][0])), ("a-001", " ".join(_edit(originals["A"][1], [3], "r")))]
    days["B"].append(("a-002", " ".join(originals["A"][2])))
    return days


def _canonical(day: str, rows: list[tuple[str, str]]) -> pl.DataFrame:
    start = datetime.fromisoformat(DAYS[day]).replace(tzinfo=UTC)
    rows = [(f"record-{r}", t) for r, t in rows]
    return pl.DataFrame(
        {
            "record_id": [r for r, _ in rows],
            "review_id": [r for r, _ in rows],
            "product_id": [f"p{i % 7}" for i in range(len(rows))],
            "source": SOURCE,
            "page_url": [f"http://shop.example/p{i % 7}" for i in range(len(rows))],
            "scraped_at": [start + timedelta(minutes=0 if "chain" in r else i % 5) for i, (r, _) in enumerate(rows)],
            "text": [t for _, t in rows],
            "rating": [float(1 + int(hashlib.sha256(r.encode()).hexdigest(), 16) % 5) for r, _ in rows],
            "rating_scale": 5.0,
            "author": None,
            "published": None,
            "language": "en",
            "word_count": [len(t.split()) for _, t in rows],
            "partition_date": DAYS[day],
        },
        schema_overrides={"author": pl.String, "published": pl.String},
    )


def _label(rating: float) -> str:
    return "positive" if rating >= 4 else "negative" if rating <= 2 else "neutral"


def _votes(deduped: pl.DataFrame, day: str, seed: int) -> pl.DataFrame:
    rng = random.Random(f"{seed}-{day}")
    rows = []
    for record_id, rating in deduped.select("record_id", "rating").iter_rows():
        truth = _label(rating)
        other = rng.choice([x for x in LABELS if x != truth])
        lexicon = None if rng.random() < 0.1 else (other if rng.random() < 0.05 else truth)
        llm = [truth if rng.random() < 0.85 else other for _ in range(2)]
        votes = [
            ("lf_rating", "lf", truth, None),
            ("lf_lexicon", "lf", lexicon, None),
            ("llm_a", "llm", llm[0], False),
            ("llm_b", "llm", llm[1] if rng.random() < 0.9 else None, False),
        ]
        if llm[0] != llm[1]:
            votes.append(("llm_c", "llm", rng.choice(LABELS), True))
        if rng.random() < 0.15:
            votes.append(("ann", "human", rng.choice(LABELS), None))
        pending = rng.random() < 0.1
        for annotator, kind, label, conditional in votes:
            rows.append({"record_id": record_id, "annotator": annotator, "annotator_kind": kind, "label": label,
                         "confidence": None, "status": None, "conditional": conditional})  # fmt: skip
        rows.append({"record_id": record_id, "annotator": "resolved", "annotator_kind": "resolved",
                     "label": None if pending else truth, "confidence": 0.95,
                     "status": "needs_review" if pending else "auto", "conditional": None})  # fmt: skip
    frame = pl.DataFrame(
        rows,
        schema={"record_id": pl.String, "annotator": pl.String, "annotator_kind": pl.String, "label": pl.String,
                "confidence": pl.Float64, "status": pl.String, "conditional": pl.Boolean},
    )  # fmt: skip
    return frame.with_columns(source=pl.lit(SOURCE), partition_date=pl.lit(DAYS[day]))


def partitions(seed: int = 3) -> dict[str, Partition]:
    """Day name -> the day's tables, each day deduplicated on its own; ids are `record-<day>-<n>` and the like."""
    out = {}
    for day, rows in _texts(seed).items():
        canonical = _canonical(day, rows)
        result = dedup(canonical["record_id"], canonical["text"], canonical["scraped_at"])
        deduped = canonical.filter(pl.col("record_id").is_in(result.kept_ids)).with_columns(
            cluster_id=pl.col("record_id").replace_strict(result.cluster_of, return_dtype=pl.String),
            content_hash=pl.col("text").map_elements(content_hash, return_dtype=pl.String),
        )
        removals = result.removals.with_columns(source=pl.lit(SOURCE), partition_date=pl.lit(DAYS[day]))
        key = {"source": SOURCE, "date": DAYS[day]}
        out[day] = Partition(key, canonical, deduped, removals, _votes(deduped, day, seed))
    return out


def edited(partition: Partition) -> Partition:
    """The same day scraped again with different content: a record gone, one text edited."""
    canonical = partition.canonical.slice(1).with_columns(
        pl.when(pl.col("record_id") == partition.canonical["record_id"][5])
        .then(pl.lit("an entirely different text now " * 5))
        .otherwise(pl.col("text"))
        .alias("text")
    )
    result = dedup(canonical["record_id"], canonical["text"], canonical["scraped_at"])
    deduped = canonical.filter(pl.col("record_id").is_in(result.kept_ids)).with_columns(
        cluster_id=pl.col("record_id").replace_strict(result.cluster_of, return_dtype=pl.String),
        content_hash=pl.col("text").map_elements(content_hash, return_dtype=pl.String),
    )
    votes = partition.votes.filter(pl.col("record_id").is_in(deduped["record_id"].implode()))
    removals = result.removals.with_columns(source=pl.lit(SOURCE), partition_date=pl.lit(partition.key["date"]))
    return Partition(partition.key, canonical, deduped, removals, votes)
