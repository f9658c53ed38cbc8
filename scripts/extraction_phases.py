"""Where a page's extraction spends its time: each part of `extract_pages` timed alone on the benchmark's
generated pages, best of five, in ms a page (no profiler: it inflates the per-row Python several times).

    .venv/bin/python scripts/extraction_phases.py [PAGES]      # default 300 pages, 20 reviews, 60 KB each

The parts overlap as the code nests them: `extract_structured_reviews` includes `marked_elements` and the
microdata (whose line is per microdata page: half the pages have it), `_read_page` includes the parse and the
structured data; the language step runs on chunks of 25 pages as the workers do. `extract_all` is the whole.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # this checkout's code, not the editable install's


def best_ms(work, pages: int, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best * 1000 / pages


def main() -> None:
    from end_to_end import FIRST_DAY, generate_pages
    from extraction import extract_all, stored

    from gleaner.extract import page as extractor
    from gleaner.extract.batch import CHUNK_PAGES
    from gleaner.extract.html_tree import marked_elements, parse_html
    from gleaner.extract.microdata import microdata
    from gleaner.extract.structured_data import extract_structured_reviews

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    pages = stored(list(generate_pages(count, 20, 60, 7, FIRST_DAY)))
    extract_all(pages[:4])  # imports, the language model, the compiled kernels
    spec = extractor.ExtractionSpec.of("schema_org_reviews")
    trees = [parse_html(page.html) for page in pages]
    marked = [marked_elements(tree) for tree in trees]
    with_items = [(page, tree, m) for page, tree, m in zip(pages, trees, marked, strict=True) if m.items]
    reads = [extractor._read_page(page, spec) for page in pages]
    chunks = [reads[i : i + CHUNK_PAGES] for i in range(0, len(reads), CHUNK_PAGES)]
    languages = [found for chunk in chunks for found in extractor._page_languages(chunk)]

    def records() -> None:
        for read, (detections, detected) in zip(reads, languages, strict=True):
            read.result = extractor.PageExtraction("no_records", "")
            extractor._records(extractor._PageContext(read, detections, detected), read)

    parts = {
        "parse_html (lexbor)": (lambda: [parse_html(page.html) for page in pages], count),
        "marked_elements": (lambda: [marked_elements(tree) for tree in trees], count),
        "extract_structured_reviews": (
            lambda: [extract_structured_reviews(p.html, p.url, t) for p, t in zip(pages, trees, strict=True)],
            count,
        ),
        "microdata (per microdata page)": (
            lambda: [microdata(tree, page.url, m.items) for page, tree, m in with_items],
            max(len(with_items), 1),
        ),
        "_read_page": (lambda: [extractor._read_page(page, spec) for page in pages], count),
        "_page_languages (chunks)": (lambda: [extractor._page_languages(chunk) for chunk in chunks], count),
        "_records": (records, count),
        "extract_all": (lambda: extract_all(pages), count),
    }
    for name, (work, per) in parts.items():
        print(f"{name:34s} {best_ms(work, per):.3f} ms a page")


if __name__ == "__main__":
    main()
