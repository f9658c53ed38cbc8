"""One partition's input: the drops of one source on one day, what each holds, and what could not be used.

`raw_pages` reads a partition through here. Nothing found in the day's folder disappears without a word: a
drop whose name is not allowed (a space, non-ASCII letters, a leading dot), whose marker or WARC cannot be
read, or that leads outside the drop root is *refused*: reported by name and reason, and turned into a
failed row (stage ``drop``) so the partition's counts show it. A drop whose WARC no longer matches its
marker's sha256, or whose pages do not add up to the marker's ``page_count``, is read for what it still
holds and the difference is a failed row too. A partition with drops, usable or not, is never crawled
instead (`needs_crawl`): a crawl happens only when the day has no drop at all and someone asked for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from gleaner.drops.local import (
    DROP_ID,
    MARKER,
    DropError,
    DropRef,
    _date_text,
    _inside,
    _warc_file,
    file_sha256,
    read_marker,
)
from gleaner.drops.warc_read import drop_failure, read_drop
from gleaner.pages import DROP_ERROR, FetchedPage

CRAWL_TAG = "gleaner/crawl"  # run tag "true": crawl a partition that has no drop (the CLI's --crawl, the schedule)


@dataclass(frozen=True)
class Refused:
    name: str  # the folder's name as found
    reason: str


@dataclass
class PartitionDrops:
    source: str
    day: str
    usable: list[DropRef] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # no marker yet: still being written

    @property
    def any_drop(self) -> bool:
        return bool(self.usable or self.refused)

    def problems(self) -> list[str]:
        """One line per drop that was not read, for the run's log."""
        lines = [f"drop {self.source}/{self.day}/{r.name} refused: {r.reason}" for r in self.refused]
        lines += [f"drop {self.source}/{self.day}/{n} has no {MARKER} marker yet: not read" for n in self.waiting]
        return lines


def find_partition_drops(drops_root: Path | str, source: str, day: str) -> PartitionDrops:
    """Every folder under ``<root>/<source>/<day>/``, sorted by name: usable, refused (why) or waiting."""
    root = Path(drops_root).resolve()
    found = PartitionDrops(source, _date_text(day))
    day_dir = root / source / found.day
    try:
        _inside(root, day_dir, "date directory")
    except DropError as exc:
        found.refused.append(Refused(f"{source}/{day}", str(exc)))
        return found
    if not day_dir.is_dir():
        return found
    for entry in sorted(day_dir.iterdir()):
        name = entry.name
        if not entry.is_dir():
            continue
        if name.startswith(".") or not DROP_ID.match(name):
            found.refused.append(Refused(name, _bad_name(name)))
            continue
        try:
            _inside(root, entry, "drop directory")
            if not (entry / MARKER).exists():
                found.waiting.append(name)
                continue
            _warc_file(entry, read_marker(entry))
        except DropError as exc:
            found.refused.append(Refused(name, str(exc)))
            continue
        found.usable.append(DropRef(source, found.day, name, entry))
    return found


def _bad_name(name: str) -> str:
    if name.startswith("."):
        why = "it starts with a dot (hidden)"
    elif not name.isascii():
        why = "it has non-ASCII characters"
    elif any(c.isspace() for c in name):
        why = "it has whitespace"
    else:
        why = "it has characters outside [A-Za-z0-9._-] or is too long"
    return f"drop id {name!r} is not allowed: {why}; allowed: [A-Za-z0-9][A-Za-z0-9._-]{{0,127}}"


def needs_crawl(found: PartitionDrops, crawl: bool, recrawl: bool = False) -> bool:
    """Whether the partition is crawled: asked for (``recrawl``), or no drop at all and ``crawl`` asked.

    Raises `NoDropError` for a day with no drop when no crawl was asked for."""
    if recrawl:
        return True
    if found.any_drop:
        return False
    if crawl:
        return True
    waiting = f" ({len(found.waiting)} without a {MARKER} marker yet)" if found.waiting else ""
    raise NoDropError(
        f"no drop for source={found.source} date={found.day}{waiting}: nothing to ingest. Deliver a drop "
        f"(docs/drops.md) or ask for a crawl (gleaner ingest --crawl)"
    )


class NoDropError(DropError):
    """A partition with no drop, for which no crawl was asked."""


def _reading_time(ref: DropRef) -> datetime:
    return datetime.fromisoformat(ref.date).replace(tzinfo=UTC)


def drop_pages(ref: DropRef) -> Iterator[FetchedPage]:
    """The pages of one usable drop, with a failed row for each thing that does not add up."""
    when = _reading_time(ref)
    marker = read_marker(ref.path)
    warc = _warc_file(ref.path, marker)
    expected = marker.get("sha256")
    if expected and file_sha256(warc) != str(expected).lower():
        reason = f"{warc.name} does not match the marker's sha256 (changed or truncated after the marker); read as is"
        yield drop_failure(f"{ref.drop_id}/{warc.name}", reason, when)
    pages = unreadable = 0
    for page in read_drop(ref.path, verify=False):
        if page.error is not None and page.error.startswith(DROP_ERROR):
            unreadable += 1
        else:
            pages += 1
        yield page
    stated = marker.get("page_count")
    if isinstance(stated, int) and not isinstance(stated, bool) and stated != pages:
        reason = f"the marker states {stated} pages; {pages} were read" + (
            f" and {unreadable} byte range(s) could not be" if unreadable else ""
        )
        yield drop_failure(f"{ref.drop_id}/{MARKER}", reason, when)


def partition_pages(found: PartitionDrops) -> Iterator[tuple[str, FetchedPage]]:
    """(drop id, page) for every page of the usable drops, then a failed row per refused drop."""
    for ref in found.usable:
        try:
            for page in drop_pages(ref):
                yield ref.drop_id, page
        except (OSError, DropError) as exc:  # the drop became unreadable while being read
            yield ref.drop_id, drop_failure(ref.drop_id, f"drop unreadable: {exc}", _reading_time(ref))
    for refused in found.refused:
        when = datetime.fromisoformat(found.day).replace(tzinfo=UTC)
        yield refused.name, drop_failure(refused.name, refused.reason, when)
