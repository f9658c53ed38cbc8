"""The page extractor alone: pages/s of `extract_pages` (on chunks of pages, as each worker of the pipeline
runs it) over pages/s of a bare `lxml.html.fromstring` on the same generated pages, one process, one core
(issue #15's ratio; the issue asks for >= 0.5).

    .venv/bin/python benchmarks/extraction.py                  # 300 pages, 20 reviews each, 60 KB
    .venv/bin/python benchmarks/extraction.py --profile        # plus the top of a cProfile of the extractor
    .venv/bin/python benchmarks/extraction.py --dump out.json  # records, failures and notes, for comparing

The pages come from `end_to_end.generate_pages` (seeded: JSON-LD and microdata pages alternate), so the
figure is the one `end_to_end.py` reports as `extract_vs_parse_ratio`. Each side is timed over the same pages
after one warm-up page (imports, model loading), best of `--repeat` runs, the two sides alternating so both
see the same machine when others share it. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from end_to_end import FIRST_DAY, SOURCE, generate_pages  # noqa: E402


def stored(pages: list) -> list:
    """The pages as the extractor meets them in the pipeline: known by canonical URL, with source set."""
    from gleaner.pages import FetchedPage

    return [FetchedPage.of(SOURCE, p.canonical_url, p.status, p.html, None, p.fetched_at) for p in pages]


def time_parse(pages: list) -> float:
    import lxml.html

    started = time.perf_counter()
    for page in pages:
        lxml.html.fromstring(page.html)
    return time.perf_counter() - started


def extract_all(pages: list) -> list:
    """The extractor as the pipeline runs it in each worker: `extract_pages` on chunks of `CHUNK_PAGES`."""
    from gleaner.extract import ExtractionSpec, extract_pages
    from gleaner.extract.batch import CHUNK_PAGES
    from gleaner.parallel import chunked

    spec = ExtractionSpec("schema_org_reviews")
    return [result for chunk in chunked(pages, CHUNK_PAGES) for result in extract_pages(chunk, spec)]


def time_extract(pages: list) -> float:
    started = time.perf_counter()
    extract_all(pages)
    return time.perf_counter() - started


def best_times(pages: list, repeat: int) -> tuple[float, float]:
    """(seconds of the bare parse, seconds of the extractor) on `pages`, each side timed after a warm-up on
    two pages (imports, the language model, extruct's first use), best of `repeat` runs, the two sides
    alternating so that a slow spell of the host weighs on both rather than on whichever ran during it."""
    time_extract(pages[:2])
    time_parse(pages[:2])
    parse_s = extract_s = float("inf")
    for _ in range(repeat):
        parse_s, extract_s = min(parse_s, time_parse(pages)), min(extract_s, time_extract(pages))
    return parse_s, extract_s


def outcomes(pages: list) -> list[dict]:
    """Everything a page's extraction says, as plain JSON: for comparing two versions of the code."""
    found = []
    for page, result in zip(pages, extract_all(pages), strict=True):
        found.append(
            {
                "url": page.url,
                "outcome": result.outcome,
                "reason": result.reason,
                "records": [r.model_dump(mode="json") for r in result.records],
                "failures": result.failures,
                "notes": result.notes,
            }
        )
    return found


def profile(pages: list, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    extract_all(pages)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--reviews-per-page", type=int, default=20)
    parser.add_argument("--page-kb", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side; the best counts")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile of the extractor")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--dump", type=Path, help="write every page's records, failures and notes here (JSON)")
    args = parser.parse_args()

    pages = stored(list(generate_pages(args.pages, args.reviews_per_page, args.page_kb, args.seed, FIRST_DAY)))
    parse_s, extract_s = best_times(pages, args.repeat)
    tracemalloc.start()
    time_extract(pages[:50])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if args.profile:
        print(profile(pages, args.top))
    if args.dump is not None:
        args.dump.write_text(json.dumps(outcomes(pages), sort_keys=True, ensure_ascii=False), encoding="utf-8")
    n = len(pages)
    result = {
        "pages": n,
        "parse_pages_per_s": round(n / parse_s, 1),
        "extract_pages_per_s": round(n / extract_s, 1),
        "ratio": round(parse_s / extract_s, 3),
        "parse_ms_per_page": round(1000 * parse_s / n, 3),
        "extract_ms_per_page": round(1000 * extract_s / n, 3),
        "extract_peak_traced_mb": round(peak / 2**20, 1),
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(
        f"lxml parse {result['parse_pages_per_s']} pages/s, extract {result['extract_pages_per_s']} pages/s "
        f"({result['extract_ms_per_page']} ms/page), ratio {result['ratio']}"
    )
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
