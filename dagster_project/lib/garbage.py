"""How often a process that runs the graph looks for garbage cycles.

CPython collects its young generation every 700 net allocations and the whole heap after ten of those ten
times over, which suits small heaps. A run's process holds Dagster, the definitions and a partition's rows
as Python objects (records, vote rows, record views), and a full collection walks every one of them: day 1
of the volume benchmark's ingest (100k reviews) made 13 full collections, 1.98 s of its 29 s, by
`gc.callbacks`. Collecting the young generation every 20,000 allocations instead makes every generation's
collections about 28 times rarer: 3 full collections, 0.19 s, and the same peak RSS (1719 vs 1750 MB).
Nothing goes uncollected: objects without cycles are still freed the moment their last reference goes,
cycles at the next collection of their generation. Worker processes keep the default: their heaps are
small and the same change measured nothing there.
"""

from __future__ import annotations

import gc

YOUNG_GENERATION_ALLOCATIONS = 20_000


def collect_garbage_in_bulk() -> None:
    """Raise the young generation's threshold to `YOUNG_GENERATION_ALLOCATIONS` (a higher one already set
    is kept), the older generations' as they are."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, YOUNG_GENERATION_ALLOCATIONS), middle, old)
