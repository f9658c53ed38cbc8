"""Compile and cache the dedup kernels now: ``python -m gleaner.dedup.precompile`` (`make setup` runs it).

numba compiles a kernel on its first call and caches the machine code beside the sources
(``__pycache__/*.nbi``, ``*.nbc``), so a new checkout pays about 5 s of compilation in the first dedup it
runs: a user's first ingest, or the first day a benchmark times. Running the kernel once on a few texts at
install time moves that cost to where installing is expected to take time. The texts are chosen to reach
every kernel (shingles, MinHash, the union-find walk over a near-duplicate pair) with the argument types the
pipeline passes, so later calls load the cached code instead of compiling; a kernel changed since is
compiled again on its first call, as before. The candidate's digest kernel (``gleaner.digests``, the split
and balance ranks of every publish) is compiled here too, for the first publish's sake.
"""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import UTC, datetime

import polars as pl

from gleaner.dedup.kernel import DedupResult, dedup
from gleaner.digests import sha256_rows


def precompile() -> DedupResult:
    """Deduplicate a few texts: one with an exact and a near duplicate, one alone, a missing and an empty."""
    base = "the kettle boils quickly and the handle stays cool, which I did not expect at this price"
    texts = [base, base, base + " at all", "a different review of another product that nobody copied", None, ""]
    ids = [f"precompile-{i}" for i in range(len(texts))]
    sha256_rows(pl.Series(ids))
    return dedup(ids, texts, [datetime(2026, 1, 1, tzinfo=UTC)] * len(texts), threshold=0.8)


def precompile_in_background() -> threading.Thread:
    """`precompile` on a daemon thread, started where this process is about to leave the interpreter free: a
    publish reading its inputs (polars, without the GIL), an ingest extracting pages in worker processes.
    numba's import and the loading of the cached kernels (about 0.5 s, which the first dedup paid before)
    are done by the time the dedup needs them: 0.5 s off a day-12 publish's settle, 0.4 s off a 100k ingest's
    dedup step. The first call of a kernel waits for a load under way rather than starting another (numba's
    compiler lock). A failure here is left for that first call to report."""

    def run() -> None:
        with contextlib.suppress(Exception):
            precompile()

    thread = threading.Thread(target=run, name="precompile", daemon=True)
    thread.start()
    return thread


if __name__ == "__main__":
    started = time.perf_counter()
    kept = len(precompile().kept_ids)
    print(f"dedup and digest kernels cached in {time.perf_counter() - started:.1f}s ({kept} of 6 texts kept)")
