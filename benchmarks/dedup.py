"""Benchmark: gleaner.dedup.kernel against the datasketch recipe most tutorials show, on a synthetic corpus.

The corpus is documents of 80-150 words drawn from a Zipf vocabulary, of which a fifth are near-duplicates
of another document made by 1-6 random word edits (substitute, insert or delete), shuffled, with a fixed
seed. Because the duplicate families are known, the truth (every pair with exact Jaccard >= threshold) is
computed from plain Python sets of word 5-grams, independently of the code under test; pairs outside the
families are looked for among all LSH candidates.

Figures, all at Jaccard >= threshold:

* recall: the share of true pairs that dedup puts in one cluster (``cluster_id``, connected components),
  which is what keeps near duplicates out of different splits. Its ceiling is the LSH: 16 bands x 8 rows
  find a pair at exactly 0.8 with probability 0.95, at 0.85 with 0.99.
* precision: the share of removed records that truly are duplicates of a record that is kept: the removed
  record and its ``kept_id`` are at or above the threshold by exact Jaccard of Python 5-gram sets, and
  ``kept_id`` is among the kept records. Removal is greedy in survival order (see ``gleaner.dedup.kernel``), so a
  chain A~B~C never removes C in favour of A.
* removal_recall: the share of the records that the same greedy rule removes when run over the true
  pairs that dedup removes too.
* cluster_pair_precision: the share of same-cluster pairs that are at or above the threshold; chains
  lower it by design (A and C above share a cluster), so it is reported, not targeted.

Speed: the datasketch recipe (MinHash.update per shingle, MinHashLSH query-then-insert) runs on the first
``--baseline-docs`` documents, as its rate barely depends on the corpus size (at a million documents it
would take about twenty minutes); gleaner.dedup.kernel runs ``--repeat`` times on the whole corpus, from raw
text to kept set, and the median run is the headline figure. The first run also loads the numba kernels
from their on-disk cache (compiling them once per checkout), which a pipeline step, a fresh process,
pays too: it is reported separately. Peak RSS is the process's, corpus included.

    .venv/bin/python benchmarks/dedup.py [--docs 50000] [--baseline-docs 2000] [--seed 7] [--repeat 3]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gleaner.dedup.kernel import dedup  # noqa: E402
from gleaner.dedup.lsh import candidate_pairs, write_band_index  # noqa: E402
from gleaner.dedup.sketch import sketch  # noqa: E402

VOCABULARY = 30_000
ZIPF_EXPONENT = 1.1
LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def vocabulary(rng: np.random.Generator) -> list[str]:
    words: set[str] = set()
    while len(words) < VOCABULARY:
        length = int(rng.integers(2, 11))
        words.add(LETTERS[rng.integers(0, 26, length)].tobytes().decode())
    return sorted(words)


def corpus(n_docs: int, seed: int, dup_fraction: float = 0.2) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """(ids, texts, times, family) with ``family[i]`` the index of the original a document derives from.

    Built a chunk at a time, keeping word arrays only for the documents that get copies, so that at a
    million documents the texts themselves are most of the memory the generator leaves behind.
    """
    rng = np.random.default_rng(seed)
    vocab = vocabulary(rng)
    cdf = np.cumsum(1.0 / np.arange(1, VOCABULARY + 1) ** ZIPF_EXPONENT)
    cdf /= cdf[-1]

    def draw(k: int) -> np.ndarray:
        return np.minimum(np.searchsorted(cdf, rng.random(k)), VOCABULARY - 1).astype(np.int32)

    n_dup = int(n_docs * dup_fraction)
    n_base = n_docs - n_dup
    originals = rng.integers(0, n_base, n_dup)
    copied = set(originals.tolist())
    kept_words: dict[int, np.ndarray] = {}
    texts: list[str] = []
    lengths = rng.integers(80, 151, n_base)
    for chunk in range(0, n_base, 10_000):
        chunk_lengths = lengths[chunk : chunk + 10_000]
        for offset, words in enumerate(np.split(draw(int(chunk_lengths.sum())), np.cumsum(chunk_lengths)[:-1])):
            texts.append(" ".join([vocab[w] for w in words.tolist()]))
            if chunk + offset in copied:
                kept_words[chunk + offset] = words.copy()
    for original in originals.tolist():
        words = kept_words[original].tolist()
        for _ in range(int(rng.integers(1, 7))):
            op = int(rng.integers(0, 3))
            at = int(rng.integers(0, len(words)))
            if op == 0:
                words[at] = int(draw(1)[0])
            elif op == 1:
                words.insert(at, int(draw(1)[0]))
            elif len(words) > 1:
                del words[at]
        texts.append(" ".join([vocab[w] for w in words]))
    del kept_words
    family = np.concatenate([np.arange(n_base), originals])
    shuffle = rng.permutation(n_docs)
    texts = [texts[i] for i in shuffle.tolist()]
    ids = [f"doc-{k:08d}" for k in range(n_docs)]
    times = rng.integers(0, 10**9, n_docs)
    return ids, texts, times, family[shuffle]


def grams(text: str) -> set[str]:
    words = text.lower().split()
    if len(words) < 5:
        return {" ".join(words)}
    return {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def truth_pairs(texts: list[str], family: np.ndarray, threshold: float) -> tuple[set[tuple[int, int]], int]:
    """Pairs within duplicate families at or above the threshold, and the number of family pairs looked at."""
    members: dict[int, list[int]] = defaultdict(list)
    for i, f in enumerate(family.tolist()):
        members[f].append(i)
    truth = set()
    looked = 0
    for group in members.values():
        if len(group) < 2:
            continue
        sets = {i: grams(texts[i]) for i in group}
        for a, b in itertools.combinations(sorted(group), 2):
            looked += 1
            if jaccard(sets[a], sets[b]) >= threshold:
                truth.add((a, b))
    return truth, looked


def datasketch_baseline(texts: list[str], threshold: float) -> tuple[float, int]:
    """The tutorial recipe: MinHash per document, update per shingle, query the LSH then insert if new."""
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    kept = 0
    start = time.perf_counter()
    for i, text in enumerate(texts):
        words = text.lower().split()
        m = MinHash(num_perm=128)
        for shingle in (" ".join(words[j : j + 5]) for j in range(max(1, len(words) - 4))):
            m.update(shingle.encode("utf8"))
        if not lsh.query(m):
            lsh.insert(str(i), m)
            kept += 1
    return len(texts) / (time.perf_counter() - start), kept


def greedy_removals(pairs: set[tuple[int, int]], ids: list[str], times: np.ndarray) -> set[int]:
    """The records the survival rule removes given these pairs: walk records earliest first (time, then
    id); a record goes when it is paired with one already kept."""
    neighbours: dict[int, list[int]] = defaultdict(list)
    for a, b in pairs:
        neighbours[a].append(b)
        neighbours[b].append(a)
    removed: set[int] = set()
    for record in sorted(neighbours, key=lambda i: (int(times[i]), ids[i])):
        if any(
            other not in removed
            for other in neighbours[record]
            if (int(times[other]), ids[other])
            < (
                int(times[record]),
                ids[record],
            )
        ):
            removed.add(record)
    return removed


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=50_000)
    parser.add_argument(
        "--baseline-docs", type=int, default=50_000, help="the datasketch recipe runs on this many (at most --docs)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--repeat", type=int, default=3, help="dedup runs; the median is reported")
    args = parser.parse_args()

    t0 = time.perf_counter()
    ids, texts, times, family = corpus(args.docs, args.seed)
    print(
        f"corpus: {args.docs} docs, {sum(map(len, texts)) / args.docs:.0f} chars/doc, "
        f"generated in {time.perf_counter() - t0:.1f}s, RSS {peak_rss_mb():.0f} MB"
    )

    sample = texts[: args.baseline_docs]
    base_rate, base_kept = datasketch_baseline(sample, args.threshold)
    scope = "" if len(sample) == len(texts) else f" (a subsample; its rate is taken for all {len(texts)})"
    print(f"(a) datasketch recipe: {base_rate:,.0f} docs/s on {len(sample)} docs{scope}, kept {base_kept}")

    rss_before = peak_rss_mb()
    timings = []
    for run in range(args.repeat):
        start = time.perf_counter()
        result = dedup(ids, texts, times, args.threshold)
        timings.append(time.perf_counter() - start)
        if run < args.repeat - 1:
            del result
    rss_after = peak_rss_mb()
    rate = args.docs / statistics.median(timings)
    first = args.docs / timings[0]
    print(
        f"(b) gleaner.dedup.kernel: {rate:,.0f} docs/s (median of {len(timings)} runs: "
        f"{', '.join(f'{t:.2f}s' for t in timings)}), speedup {rate / base_rate:.0f}x; "
        f"first run {first:,.0f} docs/s, {first / base_rate:.0f}x"
    )
    print(
        f"    kept {len(result.kept_ids)}, removed {result.exact_removed} exact + {result.near_removed} "
        f"near; peak RSS {rss_after:.0f} MB (before dedup {rss_before:.0f} MB)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        index_bytes = write_band_index(result.bands, Path(tmp) / "index.parquet")
    per_kept = index_bytes / max(1, len(result.kept_ids))
    rss_index = peak_rss_mb()
    print(
        f"band index: {index_bytes:,} bytes, {per_kept:.0f} bytes per kept doc; "
        f"peak RSS {rss_index:.0f} MB once its rows are built and written"
    )

    # Truth: family pairs, plus any other pair at or above the threshold among all LSH candidates.
    truth, looked = truth_pairs(texts, family, args.threshold)
    left, right, big = candidate_pairs(sketch(texts).bands)
    candidates = set(zip(left.tolist(), right.tolist(), strict=True))
    for bucket in big:
        candidates.update(itertools.combinations(bucket.tolist(), 2))
    family_found = len(truth & candidates)
    outside = {(a, b) for a, b in candidates - truth if jaccard(grams(texts[a]), grams(texts[b])) >= args.threshold}
    truth |= outside
    print(
        f"truth: {len(truth)} pairs >= {args.threshold} ({looked} family pairs checked, {len(outside)} more "
        f"among {len(candidates)} LSH candidates); LSH candidates hold {family_found + len(outside)} of them"
    )

    position = {record_id: i for i, record_id in enumerate(ids)}
    clusters: dict[str, list[int]] = defaultdict(list)
    for record_id, cluster in result.cluster_of.items():
        clusters[cluster].append(position[record_id])
    predicted = {pair for group in clusters.values() for pair in itertools.combinations(sorted(group), 2)}
    recall = len(predicted & truth) / len(truth) if truth else 1.0
    pair_precision = len(predicted & truth) / len(predicted) if predicted else 1.0
    kept = set(result.kept_ids)
    removals = result.removals.select("removed_id", "kept_id").rows()
    correct = sum(
        k in kept and jaccard(grams(texts[position[r]]), grams(texts[position[k]])) >= args.threshold
        for r, k in removals
    )
    precision = correct / len(removals) if removals else 1.0
    should_go = greedy_removals(truth, ids, times)
    gone = {position[r] for r, _ in removals}
    removal_recall = len(gone & should_go) / len(should_go) if should_go else 1.0
    print(
        f"recall {recall:.4f} (true pairs in one cluster); precision {precision:.4f} over {len(removals)} "
        f"removals (each >= {args.threshold} against a kept record); removal recall {removal_recall:.4f} "
        f"of {len(should_go)}; same-cluster pair precision {pair_precision:.4f} over {len(predicted)} pairs"
    )

    print(
        json.dumps(
            {
                "docs": args.docs,
                "baseline_docs": len(sample),
                "baseline_docs_per_s": round(base_rate, 1),
                "docs_per_s": round(rate, 1),
                "docs_per_s_first_run": round(first, 1),
                "seconds": [round(t, 3) for t in timings],
                "speedup": round(rate / base_rate, 1),
                "speedup_first_run": round(first / base_rate, 1),
                "recall": round(recall, 4),
                "precision": round(precision, 4),
                "removal_recall": round(removal_recall, 4),
                "cluster_pair_precision": round(pair_precision, 4),
                "truth_pairs": len(truth),
                "kept": len(result.kept_ids),
                "exact_removed": result.exact_removed,
                "near_removed": result.near_removed,
                "peak_rss_mb": round(rss_after, 1),
                "peak_rss_with_index_mb": round(rss_index, 1),
                "index_bytes_per_kept_doc": round(per_kept, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
