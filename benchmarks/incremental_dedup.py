"""Benchmark: one more day added to the persisted global dedup state, against the pass over everything.

The publish after a new day updates the dedup state (``gleaner.dedup.global_state.add_records``) instead of
re-running the global pass over every record held; issue #15 asks that this cost follow the new day, not
everything held. This takes the ``canonical_records`` partitions of a kept end-to-end warehouse
(``benchmarks/end_to_end.py --days N --keep DIR``), builds the state over all days but the last, then, in
the same process, times:

* ``add_s``: ``add_records`` of the last day onto that state (texts read back from memory, as the
  candidate reads its text segments), with how many stored records it re-ran and how many candidate pairs
  (an entering record and a stored one sharing an LSH bucket) it verified by exact Jaccard;
* ``scratch_s``: ``build_state`` over every day, the pass the state replaces;

and checks the two give the same state row for row. ``add_vs_scratch`` is the ratio; the last line is one
JSON object (with the process's peak RSS).

    .venv/bin/python benchmarks/incremental_dedup.py DIR [--threshold 0.8]
    .venv/bin/python benchmarks/incremental_dedup.py DIR --held-days 2   # day 3 onto days 1-2

``--held-days K`` holds the first K days and adds day K+1 instead: run with several K on one kept warehouse,
it shows how the addition's work grows with what is held (the verified pairs: chance bucket-sharing between
similar short reviews grows with the records held).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gleaner.dedup import global_state  # noqa: E402

COLUMNS = ["record_id", "text", "scraped_at", "partition_date", "source"]


def day_partitions(warehouse: Path) -> list[pl.DataFrame]:
    """Each day's canonical records (every source of that date), in date order."""
    files = sorted(warehouse.glob("*/canonical_records/source=*/date=*/*.parquet"))
    if not files:
        raise SystemExit(f"no canonical_records partitions under {warehouse}: run end_to_end.py --keep first")
    dates = sorted({f.parent.name for f in files})
    return [pl.concat([pl.read_parquet(f, columns=COLUMNS) for f in files if f.parent.name == d]) for d in dates]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kept", type=Path, help="a folder end_to_end.py --keep wrote (its warehouse/ is read)")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument(
        "--held-days", type=int, help="hold the first K days and add day K+1 (default: all but the last)"
    )
    args = parser.parse_args()
    days = day_partitions(args.kept / "warehouse")
    if len(days) < 2:
        raise SystemExit("need at least two days")
    if args.held_days is not None:
        if not 1 <= args.held_days < len(days):
            raise SystemExit(f"--held-days must be 1 to {len(days) - 1}")
        days = days[: args.held_days + 1]
    held = pl.concat(days[:-1])
    start = time.perf_counter()
    state, texts = global_state.build_state(held, args.threshold)
    held_s = time.perf_counter() - start
    re_run: list[int] = []
    affected = global_state._affected_clusters

    def counting(state_rows, *rest):  # how many stored records the addition re-ran
        clusters = affected(state_rows, *rest)
        re_run.append(state_rows.filter(pl.col("cluster_id").is_in(clusters.implode())).height)
        return clusters

    global_state._affected_clusters = counting
    verified: list[int] = []
    shingle_sets = global_state.ShingleSets

    class CountingSets(shingle_sets):  # the candidate pairs `_verified_neighbours` verifies
        def reaching(self, left, right, threshold):
            verified.append(len(left))
            return super().reaching(left, right, threshold)

    global_state.ShingleSets = CountingSets

    def texts_of(rows: pl.DataFrame) -> pl.DataFrame:
        return rows.select("record_id").join(texts, on="record_id", how="left").select("record_id", "text")

    start = time.perf_counter()
    added, _ = global_state.add_records(state, days[-1], args.threshold, texts_of, 1)
    add_s = time.perf_counter() - start
    global_state._affected_clusters, global_state.ShingleSets = affected, shingle_sets
    start = time.perf_counter()
    scratch, _ = global_state.build_state(pl.concat(days), args.threshold)
    scratch_s = time.perf_counter() - start
    same = added.drop("text_segment").equals(scratch.drop("text_segment"))
    figures = {
        "days": len(days),
        "held_records": state.height,
        "new_rows": days[-1].height,
        "re_run_stored_records": re_run[0] if re_run else 0,
        "verified_pairs": sum(verified),
        "build_held_s": round(held_s, 2),
        "add_s": round(add_s, 2),
        "scratch_s": round(scratch_s, 2),
        "add_vs_scratch": round(add_s / scratch_s, 3),
        "same_state": same,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    print(
        f"{len(days)} days: state over {state.height} records built in {held_s:.1f} s; the last day's "
        f"{days[-1].height} rows added in {add_s:.2f} s (re-ran {figures['re_run_stored_records']} stored "
        f"records, verified {figures['verified_pairs']} candidate pairs) against {scratch_s:.2f} s from "
        f"scratch; same state: {same}"
    )
    print(json.dumps(figures, sort_keys=True))
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
