"""One partition's stored pages (`raw_pages` rows) to `canonical_records` and `failed_records`.

Pages are taken in canonical-URL order so the output is the same whatever order the drops listed them in;
the per-page work is `extract_batch`, the same code `gleaner extract` runs on local files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl

from gleaner.extract.batch import BatchExtraction, extract_batch, failures_frame
from gleaner.extract.page import ExtractionSpec
from gleaner.pages import FetchedPage
from gleaner.sources import SourceConfig


@dataclass(frozen=True)
class PartitionExtraction:
    batch: BatchExtraction
    records: pl.DataFrame  # RECORD_SCHEMA, by record_id
    failures: pl.DataFrame  # FAILED_SCHEMA

    @property
    def reconciles(self) -> bool:
        return self.batch.reconciles


def stored_pages(pages: pl.DataFrame, source: str, on_page: Callable[[], None] = lambda: None) -> Iterator[FetchedPage]:
    for row in pages.sort("canonical_url").iter_rows(named=True):
        yield FetchedPage.from_row(row, source)
        on_page()


def extract_partition(
    pages: pl.DataFrame, source: SourceConfig, on_page: Callable[[], None] = lambda: None
) -> PartitionExtraction:
    """`on_page` is called after each page (progress lines)."""
    batch = extract_batch(stored_pages(pages, source.name, on_page), ExtractionSpec.of(source))
    return PartitionExtraction(batch, batch.records_frame(), failures_frame(batch.failures))
