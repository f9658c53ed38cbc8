"""What a drop watcher sees in a drops folder: complete drops with their arrival time, and refused ones.

Unlike `gleaner.drops.local.list_complete_drops` (which a reader uses, and which stops at the first path that
leaves the root), a scan never raises for one bad drop: it reports it as refused, with the reason, and
carries on, so one hostile or broken drop cannot hold up the others.

Arrival is the later of the marker's and the drop directory's ctime: set by the kernel when the marker
is written or the directory is moved in, not copied along by ``cp -p`` or ``rsync -a`` like an mtime.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gleaner.drops.local import MARKER, DropError, check_drop, check_drop_names


@dataclass(frozen=True, order=True)
class DropSighting:
    """A complete drop: its marker exists."""

    arrived_at: float  # seconds since the epoch
    source: str
    date: str
    drop_id: str
    location: str  # the drop's directory (a path, or an S3 key prefix)

    @property
    def ident(self) -> str:
        return f"{self.source}/{self.date}/{self.drop_id}"


@dataclass(frozen=True, order=True)
class RefusedDrop:
    """Something shaped like a drop that must not be read: ``ident`` is its name as found."""

    arrived_at: float
    ident: str
    reason: str


def _ctime(path: Path) -> float:
    try:
        return path.lstat().st_ctime
    except OSError:
        return 0.0


def _escapes(root: Path, path: Path) -> str | None:
    resolved = path.resolve()
    if resolved.is_relative_to(root):
        return None
    return f"{path.relative_to(root)} resolves to {resolved}, outside the drop root {root}"


def _children(root: Path, directory: Path, found: list[DropSighting | RefusedDrop]) -> list[Path]:
    """Visible subdirectories; a symlink leading out of the root is reported, not entered."""
    children = []
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return []
    for entry in entries:
        if entry.name.startswith("."):
            continue  # temporary files, spools of crawls in progress
        escape = _escapes(root, entry)
        if escape is not None:
            found.append(RefusedDrop(_ctime(entry), str(entry.relative_to(root)), escape))
        elif entry.is_dir():
            children.append(entry)
    return children


def scan_local(drops_root: Path | str) -> list[DropSighting | RefusedDrop]:
    """Complete drops under ``<root>/<source>/<date>/<drop_id>/`` and refusals, in no particular order."""
    root = Path(drops_root).resolve()
    found: list[DropSighting | RefusedDrop] = []
    if not root.is_dir():
        return found
    for source_dir in _children(root, root, found):
        for day_dir in _children(root, source_dir, found):
            for drop_dir in _children(root, day_dir, found):
                marker = drop_dir / MARKER
                if not os.path.lexists(marker):
                    continue  # incomplete: it waits
                arrived = max(_ctime(marker), _ctime(drop_dir))
                name = f"{source_dir.name}/{day_dir.name}/{drop_dir.name}"
                try:
                    check_drop_names(source_dir.name, day_dir.name, drop_dir.name)
                except DropError as exc:
                    found.append(RefusedDrop(arrived, name, str(exc)))
                    continue
                found.append(DropSighting(arrived, source_dir.name, day_dir.name, drop_dir.name, str(drop_dir)))
    return found


def check_local(sighting: DropSighting) -> str | None:
    """Why a complete local drop must not be read (its marker or WARC leads elsewhere), or None."""
    try:
        check_drop(sighting.location)
    except DropError as exc:
        return str(exc)
    return None
