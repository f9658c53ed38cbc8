"""From stored pages to validated records, with a reason for every page or review that did not make it.

The public surface: `extract_partition` (the `canonical_records` step), `extract_batch` / `extract_pages` /
`extract_page` for any pages, `run_extract` (`gleaner extract` on local files) and the two tables' schemas; for datasets
over product pages, `extract_product_pages` / `extract_product_page` and `PRODUCT_PAGE_SCHEMA`. Structured data
(JSON-LD, microdata, RDFa), selectors, ratings, language and text cleaning stay beneath.
"""

from gleaner.extract.batch import FAILED_SCHEMA, RECORD_SCHEMA, BatchExtraction, extract_batch
from gleaner.extract.local_files import run_extract, summary_lines
from gleaner.extract.page import BUILTIN_EXTRACTORS, ExtractionSpec, PageExtraction, extract_page, extract_pages
from gleaner.extract.partition import PartitionExtraction, extract_partition
from gleaner.extract.product_pages import PRODUCT_PAGE_SCHEMA, extract_product_page, extract_product_pages

__all__ = [
    "BUILTIN_EXTRACTORS",
    "FAILED_SCHEMA",
    "PRODUCT_PAGE_SCHEMA",
    "RECORD_SCHEMA",
    "BatchExtraction",
    "ExtractionSpec",
    "PageExtraction",
    "PartitionExtraction",
    "extract_batch",
    "extract_page",
    "extract_pages",
    "extract_partition",
    "extract_product_page",
    "extract_product_pages",
    "run_extract",
    "summary_lines",
]
