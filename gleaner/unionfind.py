"""Connected components over numbered nodes, labelled by their smallest member.

Dedup numbers records by survival priority (earliest ``time``, then ``id``), so "smallest member" is the
survivor of a cluster and no second pass is needed to pick it. The union-find is array-based: every
round hooks the larger root of each edge under the smaller one and then halves paths until every node
points at its root, so the work is a few numpy passes over the edges instead of a Python call per edge.
"""

from __future__ import annotations

import numpy as np


def components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``labels[i]`` = the smallest node connected to ``i`` through the edges ``(left[k], right[k])``."""
    parent = np.arange(n, dtype=np.int64)
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    while len(left):
        root_left = parent[left]
        root_right = parent[right]
        crossing = root_left != root_right
        if not crossing.any():
            break
        # Only edges whose endpoints are still in different components can change anything.
        left, right = left[crossing], right[crossing]
        root_left, root_right = root_left[crossing], root_right[crossing]
        low = np.minimum(root_left, root_right)
        high = np.maximum(root_left, root_right)
        # A root hooked under several smaller roots keeps the smallest; the others stay connected through
        # their edges and are merged in a later round. Hooking always points downwards, so no cycles.
        np.minimum.at(parent, high, low)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand
    return parent
