"""From stored pages to validated records, with a reason for every page or review that did not make it.

The public surface: `extract_partition` (the `canonical_records` step), `extract_batch` / `extract_pages` /
`extract_page` for any pages, `run_extract` (`gleaner extract` on local files) and the two tables' schemas; for datasets
over product pages, `extract_product_pages` / `extract_product_page` and `PRODUCT_PAGE_SCHEMA`. Structured data
(JSON-LD, microdata, RDFa), selectors, ratings, language and text cleaning stay beneath.
"""

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "batch": ("FAILED_SCHEMA", "RECORD_SCHEMA", "BatchExtraction", "extract_batch"),
        "local_files": ("run_extract", "summary_lines"),
        "page": ("BUILTIN_EXTRACTORS", "ExtractionSpec", "PageExtraction", "extract_page", "extract_pages"),
        "partition": ("PartitionExtraction", "extract_partition"),
        "product_pages": ("PRODUCT_PAGE_SCHEMA", "extract_product_page", "extract_product_pages"),
    },
)
