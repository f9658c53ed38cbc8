"""Immutable dataset versions: a version exists once its manifest exists, and the manifest is written last.

Publishing writes the data files, re-reads and hashes them, then creates `manifest.json` exclusively
(`O_EXCL` locally, a conditional PUT with `If-None-Match: *` on S3), so two publishers can never both claim
vN and a crash mid-way leaves no half version behind. Identical content to the latest version publishes
nothing. `root` is the versions folder: a local Path, or a `gleaner.storage.backends.Store` whose keys are relative
to it (`warehouse_versions` gives the one under a warehouse).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gleaner.storage.backends import LocalStore, Store, as_store

MANIFEST = "manifest.json"
_VERSION_DIR = re.compile(r"^v(\d+)$")


class VersionConflict(RuntimeError):
    """Another publisher created the same version first."""


@dataclass(frozen=True)
class PublishOutcome:
    version: int
    created: bool
    path: Path | str  # a folder locally, an s3:// URL on S3
    manifest: dict[str, Any]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_fingerprint(file_hashes: dict[str, str]) -> str:
    return sha256_bytes(json.dumps(sorted(file_hashes.items())).encode())


def warehouse_versions(warehouse: Store | Path, folder: str = "training_data") -> Store:
    """The versions folder of a warehouse, as a store of its own."""
    return as_store(warehouse).sub(folder)


def _where(store: Store, key: str) -> Path | str:
    return store.root / key if isinstance(store, LocalStore) else store.location(key)


def published_versions(root: Store | Path) -> list[int]:
    """Versions whose manifest exists; a folder without one is an aborted publish, not a version."""
    found = set()
    for key in as_store(root).list_keys(""):
        head, _, name = key.partition("/")
        match = _VERSION_DIR.match(head)
        if match and name == MANIFEST:
            found.add(int(match.group(1)))
    return sorted(found)


def read_manifest(root: Store | Path, version: int) -> dict[str, Any]:
    return json.loads(as_store(root).read_bytes(f"v{version}/{MANIFEST}").decode("utf-8"))


def publish(
    root: Store | Path,
    data_files: dict[str, bytes],
    manifest_fields: dict[str, Any],
    render_card: Callable[[dict[str, Any]], str] | None = None,
) -> PublishOutcome:
    """Publish `data_files` (name -> bytes) as the next version unless the latest holds the same bytes."""
    store = as_store(root)
    hashes = {name: sha256_bytes(blob) for name, blob in sorted(data_files.items())}
    fingerprint = content_fingerprint(hashes)
    versions = published_versions(store)
    if versions:
        latest = read_manifest(store, versions[-1])
        if latest.get("content_sha256") == fingerprint:
            return PublishOutcome(versions[-1], False, _where(store, f"v{versions[-1]}"), latest)
    version = (versions[-1] + 1) if versions else 1
    folder = f"v{version}"
    if store.exists(f"{folder}/{MANIFEST}"):
        raise VersionConflict(f"training_data_v{version} was published by someone else")
    # Leftovers of a publish that died before its manifest are no version; the same names are overwritten.
    for name, blob in data_files.items():
        store.write_bytes(f"{folder}/{name}", blob)
    for name, expected in hashes.items():  # read back: what a reader will get is what the manifest says
        if sha256_bytes(store.read_bytes(f"{folder}/{name}")) != expected:
            raise OSError(f"{store.location(f'{folder}/{name}')}: bytes stored differ from what was written")
    manifest = {
        "version": version,
        "name": f"training_data_v{version}",
        "content_sha256": fingerprint,
        **manifest_fields,
    }
    files = dict(hashes)
    if render_card is not None:
        card = render_card(manifest).encode("utf-8")
        store.write_bytes(f"{folder}/README.md", card)
        files["README.md"] = sha256_bytes(card)
    manifest["files"] = files
    try:
        store.create_exclusive(f"{folder}/{MANIFEST}", json.dumps(manifest, indent=2, sort_keys=True).encode())
    except FileExistsError as exc:
        raise VersionConflict(f"training_data_v{version} was published by someone else") from exc
    # Two publishers of different content racing for the same N write the same file names; the manifest
    # has one winner, and this re-read says so loudly if the loser's bytes landed after the winner's.
    overwritten = [n for n, h in files.items() if sha256_bytes(store.read_bytes(f"{folder}/{n}")) != h]
    if overwritten:
        raise OSError(
            f"training_data_v{version}: {', '.join(overwritten)} changed while publishing (concurrent publisher)"
        )
    return PublishOutcome(version, True, _where(store, folder), manifest)


def verify_versions(root: Store | Path) -> list[str]:
    """Re-hash every file of every version; each mismatch or missing file is one problem line."""
    store = as_store(root)
    problems = []
    for version in published_versions(store):
        manifest = read_manifest(store, version)
        for name, expected in manifest.get("files", {}).items():
            try:
                blob = store.read_bytes(f"v{version}/{name}")
            except FileNotFoundError:
                problems.append(f"v{version}/{name}: missing")
                continue
            if sha256_bytes(blob) != expected:
                problems.append(f"v{version}/{name}: sha256 differs from the manifest (tampered)")
    return problems
