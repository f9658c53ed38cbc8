"""Which extractor builds a dataset's records, and the one column every later stage reads.

A dataset's record is a built-in type (`product_reviews`: every review on a page; `product_pages`: one
record per product page) or a pydantic model that extends one of them, extracted as its base is. Dedup,
labelling and splitting read the labeled text as `text`: when a dataset labels another field (a product
page's `title`), the records carry it as `text` too, so those stages need no per-dataset code.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from pydantic import BaseModel, ValidationError

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
    base = extractor_base(spec.record_model)
    if base is ProductPage:
        result = extract_product_pages(pages, source, on_page)
    else:
        result = extract_partition(pages, source, on_page)
    records, failures = result.records, result.failures
    if spec.record_model is not base:
        records, failures = _validated(spec.record_model, records, failures)
    if spec.input != LABELED_TEXT:
        records = records.with_columns(pl.col(spec.input).alias(LABELED_TEXT))
    return PartitionExtraction(result.batch, records, failures)


def _validated(model: type[BaseModel], records: pl.DataFrame, failures: pl.DataFrame):
    """A custom record's own validation over what its base's extractor built: a record it refuses is a
    failed row (stage `validate`) with the reason, never a silent drop."""
    kept, refused = [], []
    for row in records.iter_rows(named=True):
        try:
            model.model_validate({k: v for k, v in row.items() if k in model.model_fields})
        except ValidationError as exc:
            reason = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'record'}: {e['msg']}" for e in exc.errors())
            offending = str(row.get(next(iter(exc.errors()))["loc"][0], ""))[:200] if exc.errors()[0]["loc"] else ""
            refused.append({"source": row.get("source"), "page_url": row.get("page_url"), "stage": "validate",
                            "reason": f"{model.__name__}: {reason}", "offending": offending})  # fmt: skip
            continue
        kept.append(row["record_id"])
    if not refused:
        return records, failures
    extra = pl.DataFrame(refused, schema=failures.schema, orient="row")
    return records.filter(pl.col("record_id").is_in(kept)), pl.concat([failures, extra]).sort(
        ["page_url", "stage", "reason"]
    )
