"""The whole graph at volume: a generated scrape drop of schema.org product pages, ingested and published
through the real code location, with the stage kernels timed alone on the same data in the same run.

    .venv/bin/python benchmarks/end_to_end.py                      # 100,000 reviews (5,000 pages x 20)
    .venv/bin/python benchmarks/end_to_end.py --pages 500          # a quick look
    .venv/bin/python benchmarks/end_to_end.py --days 10            # 10 days of 100k, publish after each
    .venv/bin/python benchmarks/end_to_end.py --days 2 --later-pages 500   # 100k, then a day of 10k more

The drop is seeded: 20 reviews per page, about 15% near and 5% exact duplicates of earlier reviews, JSON-LD
and microdata pages mixed, each page padded with navigation, inline scripts and styles to `--page-kb`.
`gleaner ingest` and `gleaner publish` run as subprocesses against a temporary warehouse (rules only, no
LLM key), so their wall time includes imports, Dagster and I/O; peak RSS is sampled over the whole process
tree. The kernels (reading the drop into pages, extraction, dedup, labelling) then run in this process on the
same partition, and their share of the ingest is the "kernel" time; everything else (imports, Dagster, the
steps' reads and writes, worker start-up) is overhead. `overhead_share_reading_as_overhead` is the share
as this benchmark computed it before reading the drop was timed as the raw pages stage's kernel.
`extract_vs_parse_ratio` is pages/s of the extractor over pages/s of a bare `lxml.html.fromstring` on the
same pages, one core each, best of three alternating runs of each side (as `extraction.py` times them).
After the last day, `gleaner publish` runs once more with nothing new (`publish_nothing_new_s`: the last
candidate stands, nothing is published). Over several days, `publish_growth_s_per_day` is the least-squares
slope of the publish's time over the days (0 for a publish that costs the new day alone, whatever is held),
and `last_publish_over_ingest` the last day's publish over that day's ingest (issue #15 bounds it by 2).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's code, not the editable install's (a worktree shares the .venv)
BIN = Path(sys.executable).parent
SOURCE = "bulk"
FIRST_DAY = date(2026, 11, 2)


# -- the drop -----------------------------------------------------------------------------------------------
LEAN = {5: "positive", 4: "positive", 3: "neutral", 2: "negative", 1: "negative"}  # three-class reviews


@dataclass(frozen=True)
class Review:
    review_id: str
    author: str
    rating: int
    text: str
    published: str


def _reviews(rng: random.Random, page: int, per_page: int, earlier: list[str]) -> list[Review]:
    from gleaner.demo_site.texts import ProductVoice, edit_words, review_text

    voice = ProductVoice(
        rng.choice(("kettle", "blender", "lamp", "backpack", "mug")), ("lid", "handle", "base", "cord")
    )
    reviews = []
    for n in range(per_page):
        rating = rng.choice((5, 5, 4, 4, 3, 2, 1, 1))
        roll = rng.random()
        if earlier and roll < 0.05:
            text = rng.choice(earlier)  # an exact copy (syndicated feed)
        elif earlier and roll < 0.20:
            try:
                text = edit_words(rng, rng.choice(earlier))  # a near copy
            except ValueError:
                text = review_text(rng, voice, rating, LEAN[rating], None)
        else:
            text = review_text(rng, voice, rating, LEAN[rating], None)
        earlier.append(text)
        day = date(2026, 1, 1) + timedelta(days=rng.randrange(300))
        reviews.append(Review(f"r{page:05d}-{n:02d}", f"user{rng.randrange(10**6)}", rating, text, day.isoformat()))
    return reviews


def _padding(rng: random.Random, kilobytes: int) -> tuple[str, str]:
    """What real shop pages carry around the reviews: a stylesheet, an inline script, navigation and a grid of
    recommended-product cards (many small elements, which is what a parser pays for), to about `kilobytes`."""
    style = "".join(f".c{i}{{margin:{i % 7}px;color:#{rng.randrange(16**6):06x}}}" for i in range(150))
    script = "window.dataLayer=" + json.dumps([{"event": "view", "sku": rng.randrange(10**9)} for _ in range(80)])
    nav = "".join(f'<li><a href="/c/{rng.randrange(10**6)}?utm_source=nav">Category {i}</a></li>' for i in range(40))
    cards, size = [], len(style) + len(script) + 2 * len(nav)
    while size < kilobytes * 1024:
        sku = rng.randrange(10**8)
        card = (
            f'<div class="card c{sku % 150}"><a href="/p/{sku}?ref=rec"><img src="/i/{sku}.jpg" alt="Item {sku}">'
            f'<span class="name">Recommended item {sku}</span></a><div class="price"><span>$</span>'
            f'<b>{sku % 300}</b><small>.99</small></div><button data-sku="{sku}">Add</button></div>'
        )
        cards.append(card)
        size += len(card)
    chrome = f"<nav><ul>{nav}</ul></nav><section class='recs'>{''.join(cards)}</section><footer><ul>{nav}</ul></footer>"
    return f"<style>{style}</style><script>{script}</script>", chrome


def _json_ld_page(product: str, name: str, reviews: list[Review]) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "sku": product,
        "name": name,
        "review": [
            {
                "@type": "Review",
                "@id": r.review_id,
                "author": {"@type": "Person", "name": r.author},
                "datePublished": r.published,
                "reviewBody": r.text,
                "reviewRating": {"@type": "Rating", "ratingValue": r.rating, "bestRating": 5, "worstRating": 1},
            }
            for r in reviews
        ],
    }
    return f'<script type="application/ld+json">{json.dumps(data)}</script><h1>{name}</h1>'


def _microdata_page(product: str, name: str, reviews: list[Review]) -> str:
    items = "".join(
        f'<div itemprop="review" itemscope itemtype="https://schema.org/Review" id="{r.review_id}">'
        f'<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">{r.author}'
        f'</span></span><meta itemprop="datePublished" content="{r.published}">'
        f'<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">'
        f'<meta itemprop="ratingValue" content="{r.rating}"><meta itemprop="bestRating" content="5"></div>'
        f'<p itemprop="reviewBody">{r.text}</p></div>'
        for r in reviews
    )
    return (
        f'<div itemscope itemtype="https://schema.org/Product"><meta itemprop="sku" content="{product}">'
        f'<h1 itemprop="name">{name}</h1>{items}</div>'
    )


def generate_pages(pages: int, per_page: int, page_kb: int, seed: int, day: date):
    from gleaner.pages import FetchedPage

    rng = random.Random(f"{seed}-{day}")
    earlier: list[str] = []
    fetched_at = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
    for page in range(pages):
        product = f"{day:%m%d}-{page:05d}"
        name = f"Bulk Product {product}"
        reviews = _reviews(rng, page, per_page, earlier)
        body = (_json_ld_page if page % 2 == 0 else _microdata_page)(product, name, reviews)
        head, chrome = _padding(rng, page_kb)
        html = (
            f'<!DOCTYPE html><html lang="en"><head><title>{name}</title>{head}</head><body>{chrome}{body}</body></html>'
        )
        url = f"https://bulk.example/product/{product}"
        yield FetchedPage(url, url, url, 200, fetched_at, "text/html; charset=utf-8", html, renderer="http")


def write_bulk_drop(drops: Path, day: date, pages: int, per_page: int, page_kb: int, seed: int) -> Path:
    from gleaner.drops import write_drop

    return write_drop(drops, SOURCE, day, "bulk-001", generate_pages(pages, per_page, page_kb, seed, day))


# -- running and measuring ----------------------------------------------------------------------------------
class TreePeak:
    """Peak RSS of a process and its descendants, sampled every 50 ms while it runs.

    A child that has not yet called exec (a process starting a worker or a subprocess vforks, or forks,
    and the child runs its parent's program until exec replaces it) reports its parent's RSS: with vfork
    it is the parent's memory itself, with fork pages shared with it. Counting it would count the parent
    twice (a 1 GB main process read as 2 GB for the few milliseconds before the exec), so a child running
    its parent's command line is left out."""

    def __init__(self, pid: int):
        self.pid, self.peak = pid, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            try:
                root = psutil.Process(self.pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for proc in procs:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    if not _before_exec(proc):
                        total += proc.memory_info().rss
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _before_exec(proc: psutil.Process) -> bool:
    """Whether `proc` is a fork of its parent that has not called exec yet (`TreePeak`)."""
    parent = proc.parent()
    return parent is not None and proc.cmdline() == parent.cmdline() and proc.exe() == parent.exe()


@dataclass(frozen=True)
class Command:
    wall_s: float
    peak_rss: int
    output: str
    start_s: float  # from launching the command to its Dagster run starting: imports and definitions
    steps_s: dict[str, float]  # each step's wall time, from the run storage


def run_cli(args: list[str], env: dict[str, str]) -> Command:
    launched, started = time.time(), time.perf_counter()
    proc = subprocess.Popen([str(BIN / "gleaner"), *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    peak = TreePeak(proc.pid)
    output, _ = proc.communicate()
    wall = time.perf_counter() - started
    rss = peak.stop()
    if proc.returncode != 0:
        raise SystemExit(f"gleaner {' '.join(args)} failed ({proc.returncode}):\n{output[-4000:]}")
    run_started, steps = last_run(Path(env["DAGSTER_HOME"]))
    return Command(wall, rss, output, round(run_started - launched, 2), steps)


def last_run(dagster_home: Path) -> tuple[float, dict[str, float]]:
    """When the latest run started (epoch seconds) and each of its steps' wall time, from the run storage
    the command wrote: where a command's time went, without parsing its output."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_runs(limit=1)[0]
        record = instance.get_run_record_by_id(run.run_id)
        stats = instance.get_run_step_stats(run.run_id)
    steps = {s.step_key.split("__")[-1]: round(s.end_time - s.start_time, 2) for s in stats if s.end_time}
    return record.start_time, steps


def environment(root: Path) -> dict[str, str]:
    sources = root / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - name: {SOURCE}\n"
        "    extractor: schema_org_reviews\n"
        '    start_urls: ["http://127.0.0.1:9/"]\n'
        '    allowed_domains: ["127.0.0.1"]\n'
        "    render: http\n",
        encoding="utf-8",
    )
    datasets = root / "datasets"  # the built-in review_sentiment, reading the bulk source
    datasets.mkdir()
    declared = (ROOT / "config" / "datasets" / "review_sentiment.yaml").read_text(encoding="utf-8")
    (datasets / "review_sentiment.yaml").write_text(
        declared.replace("sources: [acme, globex]", f"sources: [{SOURCE}]"), encoding="utf-8"
    )
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),  # as sys.path
        GLEANER_WAREHOUSE=str(root / "warehouse"),
        GLEANER_DROPS=str(root / "drops"),
        GLEANER_SOURCES=str(sources),
        GLEANER_DATASETS=str(datasets),
        DAGSTER_HOME=str(root / "dagster"),
        GLEANER_HUMAN_LABEL_EXPORTS=str(root / "no-exports"),
    )
    env.pop("ANTHROPIC_API_KEY", None)
    (root / "no-exports").mkdir()
    return env


def kernel_times(root: Path, day: date) -> dict[str, float]:
    """Each stage's own work on the partition, alone, in this process: reading the drop into pages (what
    `raw_pages` stores), then extraction, dedup and labelling on the stored pages."""
    import polars as pl

    from gleaner.datasets import classification_functions, load_datasets, record_view
    from gleaner.dedup import dedup_partition
    from gleaner.drops import find_partition_drops, raw_pages_table
    from gleaner.extract import extract_partition
    from gleaner.labeling import label_partition
    from gleaner.sources import load_sources

    part = f"source={SOURCE}/date={day.isoformat()}"
    times = {}
    started = time.perf_counter()
    raw_pages_table(find_partition_drops(root / "drops", SOURCE, day.isoformat()))
    times["read_pages_s"] = time.perf_counter() - started
    pages = pl.read_parquet(root / "warehouse" / "raw_pages" / part)
    source = load_sources()[SOURCE]
    spec = load_datasets(Path(os.environ["GLEANER_DATASETS"]))["review_sentiment"]
    started = time.perf_counter()
    records = extract_partition(pages, source).records
    times["extract_s"] = time.perf_counter() - started

    class NothingElsewhere:  # the first partition: nothing kept elsewhere, nothing indexed
        def kept_elsewhere(self, ids):
            from gleaner.dedup import KEPT_SCHEMA

            return pl.DataFrame(schema=KEPT_SCHEMA)

        def prior_candidates(self, bands):
            return []

    started = time.perf_counter()
    kept = dedup_partition(records, NothingElsewhere(), 0.8).kept
    times["dedup_s"] = time.perf_counter() - started
    started = time.perf_counter()
    views = [record_view(spec, row) for row in kept.sort("record_id").iter_rows(named=True)]
    label_partition(views, classification_functions(spec), [], None, spec.label_policy())
    times["label_s"] = time.perf_counter() - started
    return times


def extract_vs_parse(pages: list, sample: int, repeat: int = 3) -> dict[str, float]:
    """Pages/s of the extractor over pages/s of lxml.html.fromstring alone, on the same pages, one core, as
    `extraction.py` times them (`best_times`: best of `repeat` alternating runs of each side)."""
    from extraction import best_times, stored

    chosen = stored(pages[:sample])
    parse_s, extract_s = best_times(chosen, repeat)
    parse, extract = len(chosen) / parse_s, len(chosen) / extract_s
    return {"parse_pages_per_s": parse, "extract_pages_per_s": extract, "ratio": extract / parse}


def growth_per_day(seconds: list[float]) -> float | None:
    """The least-squares slope of `seconds` (one figure a day) over the day's index: how much a day's publish
    grows with each day held before it. None for one day."""
    if len(seconds) < 2:
        return None
    import numpy as np

    return round(float(np.polyfit(range(len(seconds)), seconds, 1)[0]), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=5000, help="product pages per day (20 reviews each)")
    parser.add_argument("--reviews-per-page", type=int, default=20)
    parser.add_argument("--page-kb", type=int, default=60, help="boilerplate, scripts and styles per page")
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--later-pages", type=int, help="product pages on each day after the first (default --pages)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--parse-sample", type=int, default=300)
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it: warehouse, run logs")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        if args.keep is not None:
            args.keep.mkdir(parents=True)
            root = args.keep.resolve()
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="gleaner-e2e-")))
        env = environment(root)
        subprocess.run([str(BIN / "python"), "-c", "import sys; from dagster_project.instance import "
                        f"ensure_instance_config; ensure_instance_config({str(root / 'dagster')!r})"],
                       cwd=ROOT, env=env, check=True)  # fmt: skip
        os.environ.update({k: env[k] for k in ("GLEANER_SOURCES", "GLEANER_WAREHOUSE", "GLEANER_DATASETS")})
        days, ingest_s, publish_s, kernels, starts, peak, records_by_day = [], [], [], [], [], 0, []
        for n in range(args.days):
            day = FIRST_DAY + timedelta(days=n)
            started = time.perf_counter()
            pages = args.pages if n == 0 or args.later_pages is None else args.later_pages
            write_bulk_drop(root / "drops", day, pages, args.reviews_per_page, args.page_kb, args.seed)
            records_by_day.append(pages * args.reviews_per_page)
            generate_s = time.perf_counter() - started
            for name, args_ in (("ingest", ["ingest", "--source", SOURCE, "--date", day.isoformat()]),
                                ("publish", ["publish"])):  # fmt: skip
                command = run_cli(args_, env)
                (ingest_s if name == "ingest" else publish_s).append(command.wall_s)
                starts.append(command.start_s)
                peak = max(peak, command.peak_rss)
                (root / f"{name}-{day}.log").write_text(command.output, encoding="utf-8")
                print(f"{name} {day}: {command.wall_s:.1f}s, run started after {command.start_s}s, steps "
                      f"{command.steps_s}", flush=True)  # fmt: skip
            if n == 0:  # the kernels and the overhead share are the first day's: later days only time publishing
                kernels.append(kernel_times(root, day))
            days.append(day.isoformat())
            print(f"day {day}: drop generated in {generate_s:.1f}s, ingest {ingest_s[-1]:.1f}s, "
                  f"publish {publish_s[-1]:.1f}s, kernels {kernels[0]}", flush=True)  # fmt: skip
        again = run_cli(["publish"], env)  # nothing new since the last day's publish
        starts.append(again.start_s)
        peak = max(peak, again.peak_rss)
        (root / "publish-nothing-new.log").write_text(again.output, encoding="utf-8")
        print(f"publish with nothing new: {again.wall_s:.1f}s, steps {again.steps_s}", flush=True)
        sample = list(generate_pages(min(args.parse_sample, args.pages), args.reviews_per_page, args.page_kb,
                                     args.seed, FIRST_DAY))  # fmt: skip
        ratio = extract_vs_parse(sample, args.parse_sample)

    records = args.pages * args.reviews_per_page
    first = kernels[0]
    kernel_s = sum(first.values())
    drop_to_version = ingest_s[0] + publish_s[0]
    result = {
        "records": records,
        "days": args.days,
        "records_by_day": records_by_day,
        "drop_to_version_s": round(drop_to_version, 2),
        "ingest_s_by_day": [round(s, 2) for s in ingest_s],
        "publish_s_by_day": [round(s, 2) for s in publish_s],
        "publish_nothing_new_s": round(again.wall_s, 2),
        "publish_growth_s_per_day": growth_per_day(publish_s),
        "last_publish_over_ingest": round(publish_s[-1] / ingest_s[-1], 3),
        "kernel_s": round(kernel_s, 2),
        "kernels_s": {k: round(v, 2) for k, v in first.items()},
        "overhead_share": round(1 - kernel_s / ingest_s[0], 3),
        "overhead_share_reading_as_overhead": round(1 - (kernel_s - first["read_pages_s"]) / ingest_s[0], 3),
        "records_per_s": round(records / drop_to_version, 1),
        "peak_rss_mb": round(peak / 2**20),
        "command_start_s_max": max(starts),
        "extract_vs_parse_ratio": round(ratio["ratio"], 3),
        "parse_pages_per_s": round(ratio["parse_pages_per_s"], 1),
        "extract_pages_per_s": round(ratio["extract_pages_per_s"], 1),
    }
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
