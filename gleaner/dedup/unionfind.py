"""The two graph walks dedup makes over its verified edges, with nodes numbered by survival priority.

Dedup numbers records by survival priority (earliest ``time``, then ``id``), so a smaller node always
wins. ``components`` labels connected components by their smallest member: that is the ``cluster_id``,
which splits are made by, so a chain A~B~C lands in one split even when A and C are far apart.
``keep_earliest`` decides removal: walking nodes in order, a node is removed when it has an edge to a node
already kept, so every removed record is verified at or above the threshold against a record that stays.

The union-find is array-based: every round hooks the larger root of each edge under the smaller one and
then halves paths until every node points at its root, so the work is a few numpy passes over the edges
instead of a Python call per edge.
"""

from __future__ import annotations

import numpy as np

from gleaner.jit import njit


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


def keep_earliest(n: int, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greedy survival over the edges ``(left[k], right[k])``, in node order.

    Returns ``(partner, edge)``: ``partner[i]`` is ``i`` when node ``i`` is kept, else the smallest kept
    node it has an edge to, and ``edge[i]`` the index of that edge (-1 for kept nodes). A node without an
    edge to a smaller node is kept; the result is the same whatever order the edges come in.
    """
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    earlier, later = np.minimum(left, right), np.maximum(left, right)
    edges = np.lexsort((earlier, later))  # each node's edges together, in node order, smallest first
    partner = np.arange(n, dtype=np.int64)
    edge = np.full(n, -1, dtype=np.int64)
    _keep_earliest(earlier[edges], later[edges], edges, partner, edge)
    return partner, edge


@njit(nogil=True, cache=True)
def _keep_earliest(
    earlier: np.ndarray, later: np.ndarray, index: np.ndarray, partner: np.ndarray, edge: np.ndarray
) -> None:
    # Edges sorted by (later, earlier): when node v's edges come up, every smaller node is decided.
    for k in range(len(later)):
        v, u = later[k], earlier[k]
        if u != v and partner[v] == v and partner[u] == u:
            partner[v] = u
            edge[v] = index[k]
