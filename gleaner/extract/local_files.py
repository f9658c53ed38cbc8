"""`gleaner extract`: the pipeline's extraction on local files, the quick loop for writing selectors.

PATH is a WARC (``.warc``/``.warc.gz``, read by the same reader as scrape drops), a folder of ``.html`` /
``.html.gz`` files, or one such file. A saved file has no URL of its own, so its page URL is the one the page
states (``<link rel=canonical>``, ``og:url``, or the ``saved from url=`` comment browsers write), else its
``file://`` path; its fetch time is the file's modification time. The source is a configured one (its
extractor, selectors and options) or the name of a built-in extractor, which works on pages from any site.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parsel import Selector
from warcio.exceptions import ArchiveLoadFailed

from gleaner.drops.warc_read import iter_warc_pages
from gleaner.extract.batch import BatchExtraction, extract_batch, failures_frame
from gleaner.extract.page import BUILTIN_EXTRACTORS, ExtractionSpec
from gleaner.pages import FetchedPage, decode_html
from gleaner.sources import SourceConfigError, load_sources, sources_file
from gleaner.urls import canonicalize_url

WARC_SUFFIXES = (".warc", ".warc.gz")
HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz", ".xhtml.gz")
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)\s*(?P<url>https?://[^\s>]+?)\s*-->", re.I)
_STATED_URL = ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content")


def resolve_source(name: str, sources_path: Path | None = None) -> ExtractionSpec:
    """A configured source's extraction, or a built-in extractor for a name no source claims."""
    problem = None
    try:
        sources = load_sources(sources_path)
    except SourceConfigError as exc:
        sources, problem = {}, exc
    if name in sources:
        return ExtractionSpec.of(sources[name])
    if name in BUILTIN_EXTRACTORS:
        return ExtractionSpec(name)
    known = ", ".join(sorted(sources)) or "none"
    message = (
        f"unknown source {name!r}: not configured in {sources_path or sources_file()} (configured: {known}) "
        f"and not a built-in extractor ({', '.join(BUILTIN_EXTRACTORS)})"
    )
    raise ValueError(message + (f"; the sources file is unusable: {problem}" if problem else ""))


def _has_suffix(path: Path, suffixes: tuple[str, ...]) -> bool:
    return path.name.lower().endswith(suffixes)


def _stated_url(html: str) -> str | None:
    if match := _SAVED_FROM.search(html[:4096]):
        return match["url"]
    try:
        selector = Selector(text=html, type="html")
    except Exception:  # the page itself will fail extraction with the parser's reason
        return None
    for query in _STATED_URL:
        for value in selector.xpath(query).getall():
            if value.strip().lower().startswith(("http://", "https://")):
                return value.strip()
    return None


def _file_page(path: Path, source: str) -> FetchedPage:
    fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    fallback_url = path.resolve().as_uri()
    body = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        try:
            body = gzip.decompress(body)
        except (OSError, EOFError, zlib.error) as exc:
            return FetchedPage.of(source, fallback_url, None, None, f"unreadable gzip file: {exc}", fetched_at)
    html, _ = decode_html(body, None)
    stated = _stated_url(html)
    try:
        url = canonicalize_url(stated) if stated else fallback_url
    except ValueError:
        url = fallback_url
    return FetchedPage.of(source, url, None, html, None, fetched_at)


def _warc_pages(path: Path, source: str) -> Iterator[FetchedPage]:
    fallback = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    with path.open("rb") as fh:
        try:
            for page in iter_warc_pages(fh, fallback):
                yield replace(page, source=source)
        except ArchiveLoadFailed as exc:
            raise ValueError(f"{path} is not a readable WARC file: {exc}") from exc


def local_pages(path: Path, source: str) -> Iterator[FetchedPage]:
    """Pages from a WARC, a folder of HTML files (recursively, in path order) or one HTML file."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and _has_suffix(p, HTML_SUFFIXES))
        for file in files:
            yield _file_page(file, source)
    elif _has_suffix(path, WARC_SUFFIXES):
        yield from _warc_pages(path, source)
    elif _has_suffix(path, HTML_SUFFIXES):
        yield _file_page(path, source)
    elif not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    else:
        raise ValueError(f"{path}: expected a .warc/.warc.gz file, a .html/.html.gz file or a folder of them")


def run_extract(source: str, path: Path, out_dir: Path, sources_path: Path | None = None) -> BatchExtraction:
    """Extract and validate every page under ``path`` as ``source`` would, writing both tables to ``out_dir``."""
    spec = resolve_source(source, sources_path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    batch = extract_batch(local_pages(path, source), spec)
    out_dir.mkdir(parents=True, exist_ok=True)
    batch.records_frame().write_parquet(out_dir / "canonical_records.parquet")
    failures_frame(batch.failures).write_parquet(out_dir / "failed_records.parquet")
    return batch


def summary_lines(batch: BatchExtraction, out_dir: Path) -> list[str]:
    counts: dict[str, Any] = batch.counts()
    lines = [
        f"pages: {counts['pages_in']} in = {counts['pages_yielded']} yielded + "
        f"{counts['pages_no_records']} with no records + {counts['pages_failed']} failed",
        f"records: {counts['records']} -> {out_dir / 'canonical_records.parquet'}",
        f"failed rows: {counts['failed_rows']} -> {out_dir / 'failed_records.parquet'}",
    ]
    sections = (
        ("no records", batch.no_record_reasons),
        ("failures", batch.failure_reasons()),
        ("notes", batch.notes),
    )
    for title, counter in sections:
        if counter:
            lines.append(f"{title}:")
            lines.extend(f"  {n:>6}  {reason}" for reason, n in counter.most_common(15))
    return lines
