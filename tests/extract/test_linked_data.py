"""`Graph.of` collects while it compacts: the same graph as compacting first and then walking the copy."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gleaner.extract.linked_data import Graph, compact


class _TwoWalks(Graph):
    """The graph as it was built before: `compact`, then a walk over the compacted copy."""

    @classmethod
    def of(cls, *roots: Any) -> Graph:
        graph = cls()
        for index, data in enumerate(roots):
            graph._collect(compact(data), None, index)
        return graph

    def _collect(self, value: Any, parent: dict[str, Any] | None, origin: int) -> None:
        if isinstance(value, list):
            for item in value:
                self._collect(item, parent, origin)
            return
        if not isinstance(value, dict) or "@value" in value:
            return
        owner = self.add(value, parent, origin)
        for key, item in value.items():
            if key not in ("@context", "@type", "@id") and isinstance(item, list | dict):
                self._collect(item, owner, origin)


def _shape(graph: Graph) -> tuple:
    """Everything a graph holds, with nodes named by their place in `nodes` rather than by `id()`."""
    place = {id(node): i for i, node in enumerate(graph.nodes)}
    return (
        graph.nodes,
        {key: place[id(node)] for key, node in graph.by_id.items()},
        [place.get(id(graph.parents[id(n)])) if id(n) in graph.parents else None for n in graph.nodes],
        [graph.origins[id(n)] for n in graph.nodes],
    )


_KEYS = st.sampled_from(
    ["@id", "@type", "type", "schema:type", "@value", "@context", "@graph", "review", "http://schema.org/review",
     "schema:review", "schema:name", "name", "itemReviewed", "author", "reviewRating", "ratingValue"]
)  # fmt: skip
_SCALARS = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from(["", "Review", "Product", "#a", "#b", "x"]))
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.lists(st.tuples(_KEYS, inner), max_size=5).map(dict)),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=3))
def test_one_walk_builds_the_graph_two_walks_built(roots):
    assert _shape(Graph.of(*roots)) == _shape(_TwoWalks.of(*roots))


def test_a_name_given_twice_keeps_its_first_place_and_its_last_value():
    root = {
        "@type": "Product",
        "review": {"@type": "Review", "@id": "#1"},
        "name": "K",
        "http://schema.org/review": [{"@type": "Review", "@id": "#2"}],
        "schema:name": {"@type": "Thing", "@id": "#n"},
        "schema:review": "no review",
        "https://schema.org/review": {"@type": "Review", "@id": "#3"},
    }
    graph = Graph.of(root)
    assert _shape(graph) == _shape(_TwoWalks.of(root))
    assert list(graph.nodes[0]) == ["@type", "review", "name"] and graph.nodes[0]["name"]["@id"] == "#n"
    assert [node.get("@id") for node in graph.nodes] == [None, "#3", "#n"]
