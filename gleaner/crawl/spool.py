"""The checkpoint of a crawl in progress: every page stored the moment it is fetched, so a killed crawl resumes.

One JSON line per page, appended and flushed to the operating system before the page counts as stored, so
a killed process (the common failure) loses nothing it reported; ``sync`` adds an fsync before the spool
is turned into a drop. A line cut short by the kill is dropped on reopening, and that page is fetched again.
Only an index (URL -> file offset) stays in memory; pages are read back one at a time.

The spool sits inside the drop directory it will become (``<drop>/.spool/``), so a crawl started again for
the same partition finds it, and readers, which only look at complete drops, never do.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gleaner.pages import FetchedPage

SPOOL_DIR = ".spool"
SPOOL_FILE = "pages.jsonl"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpooledPage:
    page: FetchedPage
    chain: tuple[str, ...]  # every URL the fetch went through (requested, redirect hops, final)


def _encode(page: FetchedPage, chain: tuple[str, ...]) -> bytes:
    data: dict[str, Any] = {
        "requested_url": page.requested_url,
        "final_url": page.final_url,
        "canonical_url": page.canonical_url,
        "status": page.status,
        "fetched_at": page.fetched_at.isoformat(),
        "content_type": page.content_type,
        "html": page.html,
        "error": page.error,
        "notes": list(page.notes),
        "renderer": page.renderer,
        "chain": list(chain),
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _decode(line: bytes) -> SpooledPage:
    data = json.loads(line)
    chain = tuple(data.pop("chain"))
    data["fetched_at"] = datetime.fromisoformat(data["fetched_at"])
    data["notes"] = tuple(data["notes"])
    return SpooledPage(FetchedPage(**data), chain)


class Spool:
    """Pages of one crawl on disk, keyed by requested URL; open it again to resume."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / SPOOL_FILE
        self._offsets: dict[str, int] = {}
        self._order: list[tuple[str, str]] = []  # (canonical_url, requested_url)
        self.recovered = self._load()
        self._fh = self.path.open("ab")

    def _load(self) -> int:
        if not self.path.exists():
            return 0
        good_end = 0
        with self.path.open("rb") as fh:
            while True:
                offset = fh.tell()
                line = fh.readline()
                if not line:
                    break
                try:
                    entry = _decode(line) if line.endswith(b"\n") else None
                except (ValueError, KeyError, TypeError):
                    entry = None
                if entry is None:  # torn by the kill: everything from here is refetched
                    logger.warning(f"{self.path}: unreadable entry at byte {offset}; dropping the rest")
                    break
                self._remember(entry.page, offset)
                good_end = fh.tell()
        if good_end < self.path.stat().st_size:
            with self.path.open("r+b") as fh:
                fh.truncate(good_end)
        return len(self._offsets)

    def _remember(self, page: FetchedPage, offset: int) -> None:
        if page.requested_url not in self._offsets:
            self._offsets[page.requested_url] = offset
            self._order.append((page.canonical_url, page.requested_url))

    def __len__(self) -> int:
        return len(self._offsets)

    def __iter__(self) -> Iterator[str]:
        """Requested URLs of the stored pages, in the order they were stored."""
        return iter(list(self._offsets))

    def __contains__(self, requested_url: object) -> bool:
        return requested_url in self._offsets

    def add(self, page: FetchedPage, chain: tuple[str, ...]) -> None:
        if page.requested_url in self._offsets:
            return
        offset = self._fh.tell()
        self._fh.write(_encode(page, chain))
        self._fh.flush()  # in the OS's hands: survives the process being killed
        self._remember(page, offset)

    def get(self, requested_url: str) -> SpooledPage | None:
        offset = self._offsets.get(requested_url)
        if offset is None:
            return None
        self._fh.flush()
        with self.path.open("rb") as fh:
            fh.seek(offset)
            return _decode(fh.readline())

    def pages_in_order(self) -> Iterator[FetchedPage]:
        """Every page sorted by (canonical URL, requested URL): the order is the content's, not the crawl's."""
        self._fh.flush()
        with self.path.open("rb") as fh:
            for _, requested in sorted(self._order):
                fh.seek(self._offsets[requested])
                yield _decode(fh.readline()).page

    def sync(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self.directory, ignore_errors=True)
