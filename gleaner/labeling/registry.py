"""Which labeling functions label which dataset, looked up by the dataset name the policy configures.

Function names are annotator names in the `labels` asset and in the gate's `kappa_pairs`, so renaming one
is a change to the dataset's history: add a new name instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from gleaner.labeling.functions import LabelingFunction
from gleaner.labeling.product_reviews import FUNCTIONS as PRODUCT_REVIEW_FUNCTIONS

DATASETS: Mapping[str, Mapping[str, LabelingFunction]] = MappingProxyType(
    {"product_reviews": MappingProxyType(PRODUCT_REVIEW_FUNCTIONS)}
)


def functions_for(dataset: str) -> Mapping[str, LabelingFunction]:
    try:
        return DATASETS[dataset]
    except KeyError:
        raise KeyError(f"no labeling functions registered for dataset {dataset!r}; known: {sorted(DATASETS)}") from None


def registered_functions() -> Mapping[str, LabelingFunction]:
    """Every registered function by name, whichever dataset registered it: what a dataset file may name."""
    return MappingProxyType({name: fn for functions in DATASETS.values() for name, fn in functions.items()})
