"""Scrape drops: pages on disk as WARC, in the layout an external scraper would hand over.

The crawler writes its output as a drop and ingestion reads only drops, so crawled pages and pages from
other tools take one path. A drop is a directory ``<root>/<source>/<YYYY-MM-DD>/<drop_id>/`` holding one
WARC file and a ``_COMPLETE`` marker written last; a drop without the marker is still being written (or
its writer died) and is invisible to readers. The layout and record conventions are in docs/drops.md.

Reading is lenient about what other tools produce (plain or gzipped WARC, any charset, missing HTTP
headers or dates) and strict about where it reads from: names and symlinks that lead outside the drop
root are refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from gleaner.sources import SLUG

logger = logging.getLogger(__name__)

MARKER = "_COMPLETE"

WARC_NAME = "pages.warc.gz"

WARC_NAMES = ("pages.warc.gz", "pages.warc")  # what a reader accepts when the marker names no file

DROP_FORMAT = "gleaner-drop/1"

DROP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Gleaner's own WARC headers.
H_REQUESTED = "WARC-Gleaner-Requested-URI"

H_NOTES = "WARC-Gleaner-Notes"

H_SERVED_TYPE = "WARC-Gleaner-Served-Content-Type"

H_BODY = "WARC-Gleaner-Body"

H_RENDERER = "WARC-Gleaner-Renderer"


class DropError(Exception):
    """A drop that cannot be written or read as asked; the message names the drop."""


class DropPathError(DropError, ValueError):
    """A source, date, drop id or symlink that would lead outside the drop root."""


class DropIncompleteError(DropError):
    """No completeness marker: the drop is still being written, or its writer died."""


class DropIntegrityError(DropError):
    """The WARC file does not match its marker (truncated, replaced, corrupted)."""


class DropExistsError(DropError):
    """A complete drop with this id already exists; drops are immutable once marked complete."""


@dataclass(frozen=True, order=True)
class DropRef:
    source: str
    date: str
    drop_id: str
    path: Path


def _date_text(value: date | str) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value)
    if not _DATE.match(text):
        raise DropPathError(f"drop date {value!r} is not YYYY-MM-DD")
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise DropPathError(f"drop date {value!r} is not a real date: {exc}") from exc
    return text


def _check_name(kind: str, value: str, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.match(value) or value in (".", ".."):
        raise DropPathError(
            f"{kind} {value!r} is not allowed in a drop path (plain names only: no '/', '..' or absolute)"
        )
    return value


def _inside(root: Path, path: Path, what: str) -> Path:
    """``path`` with symlinks resolved, refusing anything that ends up outside ``root``."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        raise DropPathError(f"{what} {path} resolves to {resolved}, outside the drop root {root}")
    return resolved


def drop_path(drops_root: Path | str, source: str, day: date | str, drop_id: str) -> Path:
    """The directory of one drop, validated: plain names only and no symlink out of ``drops_root``."""
    root = Path(drops_root).resolve()
    _check_name("source", source, SLUG)
    _check_name("drop id", drop_id, DROP_ID)
    path = root / source / _date_text(day) / drop_id
    _inside(root, path, "drop directory")
    return path


def check_drop_names(source: str, day: str, drop_id: str) -> None:
    """Raise `DropPathError` unless all three are plain names: what any listing (folder or S3) must check."""
    _check_name("source", source, SLUG)
    _date_text(day)
    _check_name("drop id", drop_id, DROP_ID)


def warc_name(marker: dict[str, Any]) -> str | None:
    """The WARC file a marker names, refused unless it is a plain file name (no path can leave the drop)."""
    named = marker.get("warc_file")
    if named is not None and (
        not isinstance(named, str) or not named or "/" in named or "\\" in named or named in (".", "..")
    ):
        raise DropPathError(f"warc_file {named!r} must be a plain file name")
    return named


def make_drop_id(now: datetime | None = None) -> str:
    """A sortable, collision-safe id: UTC timestamp plus a random suffix (``20261120T101500Z-3f9a1c``)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def read_marker(drop_dir: Path | str) -> dict[str, Any]:
    """The parsed ``_COMPLETE`` marker; raises `DropIncompleteError` if there is none."""
    drop_dir = Path(drop_dir)
    marker = drop_dir / MARKER
    if not marker.is_file():
        raise DropIncompleteError(f"{drop_dir} has no {MARKER} marker; the drop is incomplete")
    _inside(drop_dir.resolve(), marker, "marker")
    try:
        data = json.loads(marker.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError) as exc:
        raise DropError(f"{marker} is not a readable JSON marker: {exc}") from exc
    if not isinstance(data, dict):
        raise DropError(f"{marker} must hold a JSON object")
    return data


def _warc_file(drop_dir: Path, marker: dict[str, Any]) -> Path:
    try:
        named = warc_name(marker)
    except DropPathError as exc:
        raise DropPathError(f"{drop_dir / MARKER}: {exc}") from exc
    candidates = [named] if named is not None else list(WARC_NAMES)
    for name in candidates:
        path = drop_dir / name
        if path.is_file():
            _inside(drop_dir.resolve(), path, "WARC file")
            return path
    raise DropError(f"{drop_dir} has no WARC file (looked for {', '.join(candidates)})")


def check_drop(drop_dir: Path | str) -> Path:
    """The WARC of a complete drop, after checking that its marker and WARC stay inside the drop.

    Raises `DropIncompleteError`, `DropPathError` or `DropError` (unreadable marker, no WARC) naming why.
    """
    drop_dir = Path(drop_dir)
    return _warc_file(drop_dir, read_marker(drop_dir))


def _drop_day_start(drop_dir: Path) -> datetime:
    try:
        return datetime.fromisoformat(drop_dir.parent.name).replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(drop_dir.stat().st_mtime, UTC)


def list_complete_drops(
    drops_root: Path | str, source: str | None = None, date: date | str | None = None
) -> list[DropRef]:
    """Complete drops under the root, sorted by (source, date, drop_id); incomplete ones are ignored.

    Directories whose names are not a source slug, a YYYY-MM-DD date or a drop id are skipped (logged);
    a symlink that leads outside the root raises `DropPathError`.
    """
    root = Path(drops_root).resolve()
    if not root.is_dir():
        return []
    wanted_source = _check_name("source", source, SLUG) if source is not None else None
    wanted_date = _date_text(date) if date is not None else None
    refs: list[DropRef] = []
    for source_dir in sorted(root.iterdir()):
        if source_dir.name.startswith(".") or (wanted_source and source_dir.name != wanted_source):
            continue
        if not SLUG.match(source_dir.name):
            logger.warning(f"ignoring {source_dir}: not a source name")
            continue
        if not _inside(root, source_dir, "source directory").is_dir():
            continue
        for day_dir in sorted(source_dir.iterdir()):
            if day_dir.name.startswith(".") or (wanted_date and day_dir.name != wanted_date):
                continue
            try:
                day = _date_text(day_dir.name)
            except DropPathError:
                logger.warning(f"ignoring {day_dir}: not a YYYY-MM-DD directory")
                continue
            if not _inside(root, day_dir, "date directory").is_dir():
                continue
            for drop_dir in sorted(day_dir.iterdir()):
                if drop_dir.name.startswith(".") or not DROP_ID.match(drop_dir.name):
                    continue
                if not _inside(root, drop_dir, "drop directory").is_dir():
                    continue
                marker = drop_dir / MARKER
                if marker.is_file():
                    _inside(root, marker, "marker")
                    refs.append(
                        DropRef(source_dir.name, day, drop_dir.name, root / source_dir.name / day / drop_dir.name)
                    )
    return sorted(refs)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
