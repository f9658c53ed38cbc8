"""Immutable dataset versions: a version exists once its manifest exists, and the manifest is written last.

Publishing writes the data files, re-reads and hashes them, then creates `manifest.json` exclusively
(`O_EXCL`), so two publishers can never both claim vN and a crash mid-way leaves no half version behind.
Identical content to the latest version publishes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
_VERSION_DIR = re.compile(r"^v(\d+)$")


class VersionConflict(RuntimeError):
    """Another publisher created the same version first."""


@dataclass(frozen=True)
class PublishOutcome:
    version: int
    created: bool
    path: Path
    manifest: dict[str, Any]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_fingerprint(file_hashes: dict[str, str]) -> str:
    return sha256_bytes(json.dumps(sorted(file_hashes.items())).encode())


def published_versions(root: Path) -> list[int]:
    """Versions whose manifest exists; a folder without one is an aborted publish, not a version."""
    if not root.exists():
        return []
    found = []
    for child in root.iterdir():
        match = _VERSION_DIR.match(child.name)
        if match and (child / MANIFEST).is_file():
            found.append(int(match.group(1)))
    return sorted(found)


def read_manifest(root: Path, version: int) -> dict[str, Any]:
    return json.loads((root / f"v{version}" / MANIFEST).read_text(encoding="utf-8"))


def publish(
    root: Path,
    data_files: dict[str, bytes],
    manifest_fields: dict[str, Any],
    render_card: Callable[[dict[str, Any]], str] | None = None,
) -> PublishOutcome:
    """Publish `data_files` (name -> bytes) as the next version unless the latest holds the same bytes."""
    hashes = {name: sha256_bytes(blob) for name, blob in sorted(data_files.items())}
    fingerprint = content_fingerprint(hashes)
    versions = published_versions(root)
    if versions:
        latest = read_manifest(root, versions[-1])
        if latest.get("content_sha256") == fingerprint:
            return PublishOutcome(versions[-1], False, root / f"v{versions[-1]}", latest)
    version = (versions[-1] + 1) if versions else 1
    target = root / f"v{version}"
    if (target / MANIFEST).exists():
        raise VersionConflict(f"training_data_v{version} was published by someone else")
    if target.exists():  # leftovers of a publish that died before its manifest: never a version
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name, blob in data_files.items():
        (target / name).write_bytes(blob)
    for name, expected in hashes.items():
        if sha256_file(target / name) != expected:
            raise OSError(f"{target / name}: bytes on disk differ from what was written")
    manifest = {
        "version": version,
        "name": f"training_data_v{version}",
        "content_sha256": fingerprint,
        **manifest_fields,
    }
    files = dict(hashes)
    if render_card is not None:
        (target / "README.md").write_text(render_card(manifest), encoding="utf-8")
        files["README.md"] = sha256_file(target / "README.md")
    manifest["files"] = files
    try:
        fd = os.open(target / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    except FileExistsError as exc:
        raise VersionConflict(f"training_data_v{version} was published by someone else") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
    return PublishOutcome(version, True, target, manifest)


def verify_versions(root: Path) -> list[str]:
    """Re-hash every file of every version; each mismatch or missing file is one problem line."""
    problems = []
    for version in published_versions(root):
        manifest = read_manifest(root, version)
        for name, expected in manifest.get("files", {}).items():
            path = root / f"v{version}" / name
            if not path.is_file():
                problems.append(f"v{version}/{name}: missing")
            elif sha256_file(path) != expected:
                problems.append(f"v{version}/{name}: sha256 differs from the manifest (tampered)")
    return problems
