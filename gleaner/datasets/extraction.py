"""Which extractor builds a dataset's records, and the one column every later stage reads.

A dataset's record is a built-in type (`product_reviews`: every review on a page; `product_pages`: one
record per product page) or a pydantic model that extends one of them, extracted as its base is. Dedup,
labelling and splitting read the labeled text as `text`: when a dataset labels another field (a product
page's `title`), the records carry it as `text` too, so those stages need no per-dataset code.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from gleaner.datasets.records import extractor_base
from gleaner.datasets.spec import ClassificationSpec, SpansSpec
from gleaner.extract import PartitionExtraction, extract_partition, extract_product_pages
from gleaner.schemas import ProductPage
from gleaner.sources import SourceConfig

LABELED_TEXT = "text"


def extract_records(
    spec: ClassificationSpec | SpansSpec,
    pages: pl.DataFrame,
    source: SourceConfig,
    on_page: Callable[[], None] = lambda: None,
) -> PartitionExtraction:
    """A partition's pages as the dataset's records (with `text` = its input field) and failed rows."""
    if extractor_base(spec.record_model) is ProductPage:
        result = extract_product_pages(pages, source, on_page)
    else:
        result = extract_partition(pages, source, on_page)
    if spec.input == LABELED_TEXT:
        return result
    records = result.records.with_columns(pl.col(spec.input).alias(LABELED_TEXT))
    return PartitionExtraction(result.batch, records, result.failures)
