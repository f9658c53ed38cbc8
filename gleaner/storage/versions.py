"""Immutable dataset versions: a version exists once its manifest exists, and the manifest is written last.

Publishing writes the data files, re-reads and hashes them, then creates `manifest.json` exclusively
(`O_EXCL` locally, a conditional PUT with `If-None-Match: *` on S3), so two publishers can never both claim
vN and a crash mid-way leaves no half version behind. Identical content to the latest version publishes
nothing. Every file of a version is created exclusively and read-only, in a folder no earlier publish
touched, and the manifest's own sha256 is recorded outside the folder: a published version's bytes never
change, and an edited, deleted, torn or padded version is reported by `verify_versions` (never a crash).
`root` is the versions folder: a local Path, or a `gleaner.storage.backends.Store` whose keys are relative to it
(`warehouse_versions` gives the one under a warehouse).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gleaner.storage.backends import LocalStore, Store, as_store

MANIFEST = "manifest.json"
DIGESTS = "digests"  # digests/vN.sha256: each manifest's sha256, recorded outside the version's own folder
_VERSION_DIR = re.compile(r"^v(\d+)$")
_DIGEST_KEY = re.compile(rf"^{DIGESTS}/v(\d+)\.sha256$")


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


DEFAULT_DATASET = "review_sentiment"  # what `training_data_vN` names, as before datasets were declared


def warehouse_versions(warehouse: Store | Path, folder: str = "training_data") -> Store:
    """The versions folder of a warehouse, as a store of its own."""
    return as_store(warehouse).sub(folder)


def _where(store: Store, key: str) -> Path | str:
    return store.root / key if isinstance(store, LocalStore) else store.location(key)


def _numbered(key: str) -> tuple[int, str] | None:
    head, _, name = key.partition("/")
    match = _VERSION_DIR.match(head)
    return (int(match.group(1)), name) if match and name else None


def taken_versions(root: Store | Path) -> list[int]:
    """Every version number in use: a folder holding anything (a version, a broken one, an aborted
    publish's leftovers) or a recorded manifest digest. A publish never writes into any of them."""
    store = as_store(root)
    taken = {found[0] for key in store.list_keys("") if (found := _numbered(key))}
    taken |= {int(m.group(1)) for key in store.list_keys(DIGESTS) if (m := _DIGEST_KEY.match(key))}
    return sorted(taken)


def _manifest_problem(store: Store, version: int) -> str | None:
    """Why vN's manifest cannot be used (missing, empty, not a JSON object), or None."""
    try:
        blob = store.read_bytes(f"v{version}/{MANIFEST}")
    except FileNotFoundError:
        return "manifest.json is missing"
    if not blob.strip():
        return f"manifest.json is empty ({len(blob)} bytes: a torn write?)"
    try:
        manifest = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return f"manifest.json is not JSON ({exc})"
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return "manifest.json is not a Gleaner manifest (no files table)"
    return None


def broken_versions(root: Store | Path) -> dict[int, str]:
    """Version folders that were claimed as versions but cannot be read as one: a manifest that is
    missing (while its digest was recorded), empty or unreadable. Leftovers of a publish that died before
    recording anything are no version and not listed."""
    store = as_store(root)
    digests = _recorded_digests(store)
    broken = {}
    for version in taken_versions(store):
        problem = _manifest_problem(store, version)
        if problem is None or (problem == "manifest.json is missing" and version not in digests):
            continue
        broken[version] = problem
    return broken


def published_versions(root: Store | Path) -> list[int]:
    """Versions whose manifest exists and reads; a folder without one is an aborted publish, and one whose
    manifest is torn or unreadable is a broken version (`broken_versions`), not a readable one."""
    store = as_store(root)
    found = {found[0] for key in store.list_keys("") if (found := _numbered(key)) and found[1] == MANIFEST}
    return sorted(v for v in found if _manifest_problem(store, v) is None)


def read_manifest(root: Store | Path, version: int) -> dict[str, Any]:
    return json.loads(as_store(root).read_bytes(f"v{version}/{MANIFEST}").decode("utf-8"))


def version_paths(warehouse: Store | Path | str, version: int, dataset: str = DEFAULT_DATASET) -> list[str]:
    """The Parquet files a dataset's published version's manifest lists (`training_data/<dataset>/vN`), as
    paths or s3:// URLs for polars or DuckDB.

    What a reader should open instead of a `vN/*.parquet` glob, which would also pick up any stray file
    someone put in the folder."""
    root = as_store(warehouse) if not isinstance(warehouse, Store) else warehouse
    store = warehouse_versions(root, f"training_data/{dataset}")
    problem = _manifest_problem(store, version)
    if problem is not None:
        raise ValueError(f"{dataset}_v{version} cannot be read: {problem}")
    files = read_manifest(store, version)["files"]
    return [store.location(f"v{version}/{name}") for name in sorted(files) if name.endswith(".parquet")]


def _recorded_digests(store: Store) -> dict[int, str]:
    found = {}
    for key in store.list_keys(DIGESTS):
        if match := _DIGEST_KEY.match(key):
            found[int(match.group(1))] = store.read_bytes(key).decode("ascii", "replace").strip()
    return found


def publish(
    root: Store | Path,
    data_files: dict[str, bytes],
    manifest_fields: dict[str, Any],
    render_card: Callable[[dict[str, Any]], str] | None = None,
    dataset: str = "training_data",
) -> PublishOutcome:
    """Publish `data_files` (name -> bytes) as the next version unless the latest holds the same bytes.

    The next version is one past every number in use (`taken_versions`), and every file of it is created
    exclusively and read-only, so nothing already under a `vN/` folder is ever written again: not a
    version, not a broken one, not the leftovers of a publish that died. The manifest's sha256 is recorded
    (`digests/vN.sha256`, also exclusively) just before the manifest itself, so a manifest edited or
    deleted later is detected by `verify_versions`. The version is named `<dataset>_vN`.
    """
    store = as_store(root)
    hashes = {name: sha256_bytes(blob) for name, blob in sorted(data_files.items())}
    fingerprint = content_fingerprint(hashes)
    versions = published_versions(store)
    if versions:
        latest = read_manifest(store, versions[-1])
        if latest.get("content_sha256") == fingerprint:
            return PublishOutcome(versions[-1], False, _where(store, f"v{versions[-1]}"), latest)
    taken = taken_versions(store)
    version = max([0, *taken, *versions]) + 1
    folder = f"v{version}"
    try:
        for name, blob in sorted(data_files.items()):
            store.create_exclusive(f"{folder}/{name}", blob)
    except FileExistsError as exc:
        raise VersionConflict(f"{dataset}_v{version} was claimed by another publisher") from exc
    for name, expected in hashes.items():  # read back: what a reader will get is what the manifest says
        if sha256_bytes(store.read_bytes(f"{folder}/{name}")) != expected:
            raise OSError(f"{store.location(f'{folder}/{name}')}: bytes stored differ from what was written")
    manifest = {
        "version": version,
        "name": f"{dataset}_v{version}",
        "content_sha256": fingerprint,
        **manifest_fields,
    }
    files = dict(hashes)
    try:
        if render_card is not None:
            card = render_card(manifest).encode("utf-8")
            store.create_exclusive(f"{folder}/README.md", card)
            files["README.md"] = sha256_bytes(card)
        manifest["files"] = files
        blob = json.dumps(manifest, indent=2, sort_keys=True).encode()
        store.create_exclusive(f"{DIGESTS}/{folder}.sha256", f"{sha256_bytes(blob)}\n".encode())
        store.create_exclusive(f"{folder}/{MANIFEST}", blob)
    except FileExistsError as exc:
        raise VersionConflict(f"{dataset}_v{version} was published by someone else") from exc
    return PublishOutcome(version, True, _where(store, folder), manifest)


def _parquet_labels(blob: bytes) -> Counter[str] | None:
    """Rows per label of a published split file; None when it has no label column or does not read.
    Counted by polars on the label column alone: every publish checks every version, so this runs over
    all the rows ever published."""
    import polars as pl

    try:
        if "label" not in pl.read_parquet_schema(io.BytesIO(blob)):
            return None
        labels = pl.read_parquet(io.BytesIO(blob), columns=["label"])["label"]
    except Exception:  # not Parquet at all: the hash check has already said the file is wrong
        return None
    if labels.dtype != pl.String:  # labels are text; anything else is counted as its Python str, as written
        return Counter(str(v) for v in labels.to_list())
    counts = labels.fill_null("None").value_counts(name="n")  # a missing label counts as str(None)
    return Counter(dict(zip(counts["label"].to_list(), counts["n"].to_list(), strict=True)))


def _count_problems(version: int, manifest: dict[str, Any], blobs: dict[str, bytes]) -> list[str]:
    """A manifest's counts against its own figures and against the rows of its files."""
    problems = []
    per_split = manifest.get("rows_per_split_and_class")
    if isinstance(per_split, dict):
        total = sum(sum(classes.values()) for classes in per_split.values() if isinstance(classes, dict))
        if manifest.get("rows") is not None and manifest.get("rows") != total:
            problems.append(f"v{version}/{MANIFEST}: rows {manifest['rows']} != {total} in rows_per_split_and_class")
        summed: Counter[str] = Counter()
        for split, classes in per_split.items():
            summed.update(classes if isinstance(classes, dict) else {})
            blob = blobs.get(f"{split}.parquet")
            found = _parquet_labels(blob) if blob is not None else None
            if found is not None and dict(found) != {k: v for k, v in classes.items() if v}:
                held = dict(sorted(found.items()))
                problems.append(f"v{version}/{MANIFEST}: {split} counts {classes} but {split}.parquet holds {held}")
        declared = manifest.get("class_distribution")
        if isinstance(declared, dict) and {k: v for k, v in declared.items() if v} != dict(summed):
            problems.append(f"v{version}/{MANIFEST}: class_distribution {declared} != the splits' sum {dict(summed)}")
    return problems


def verify_versions(root: Store | Path) -> list[str]:
    """Every published version checked against its manifest, and every manifest against its recorded digest
    and its own counts: one problem line per changed, missing or extra file, edited or torn manifest."""
    return verify_versions_since(root, None).problems


LEDGER_FORMAT = 1


@dataclass(frozen=True)
class Verification:
    """What `verify_versions_since` found: the problems, as `verify_versions` words them; the versions read
    and hashed in full; those not read, their stored files being as when last found clean; and the ledger to
    pass to the next check."""

    problems: list[str]
    rehashed: list[int]
    unchanged: list[int]
    ledger: dict[str, Any]


def verify_versions_since(root: Store | Path, ledger: Any, scrub: int = 1) -> Verification:
    """`verify_versions`, reading only the versions whose stored files may have changed since `ledger` (the
    last check's `Verification.ledger`; None or anything unreadable means every version).

    The ledger holds, for each version the last check found clean, the identities of its files (its folder's
    and its recorded digest's, `Store.identities`) and which check hashed it. A version whose files all have
    those identities now holds the bytes hashed then, so it is not read again. Any other version is read
    and hashed in full: a new one, one with a file written, replaced, added or removed, one that had a
    problem. So are the `scrub` versions hashed longest ago, so every version is still re-read every few
    checks, against what no identity shows (a disk that rots, a backend that rewrites in place). A check
    after a publish reads the new version and `scrub` others, not everything ever published: re-reading
    every version at every publish grows with the square of the days held."""
    store = as_store(root)
    digests = _recorded_digests(store)
    problems = [f"v{version}: broken version: {why}" for version, why in broken_versions(store).items()]
    identities = store.identities("")
    known, checks = _ledger_entries(ledger)
    check = checks + 1
    versions = published_versions(store)
    files = {version: _files_of(identities, version) for version in versions}
    reusable = [v for v in versions if v in known and known[v]["files"] == files[v]]
    scrubbed = set(sorted(reusable, key=lambda v: (known[v]["hashed_at"], v))[:scrub])
    rehashed, unchanged, entries = [], [], {}
    for version in versions:
        if version in reusable and version not in scrubbed:
            unchanged.append(version)
            entries[str(version)] = known[version]
            continue
        found = _version_problems(store, version, digests, files[version])
        problems += found
        rehashed.append(version)
        if not found:
            entries[str(version)] = {"files": files[version], "hashed_at": check}
    return Verification(problems, rehashed, unchanged, {"format": LEDGER_FORMAT, "checks": check, "versions": entries})


def _files_of(identities: dict[str, str], version: int) -> dict[str, str]:
    """vN's files (its folder's and its recorded digest) with their identities."""
    folder, digest = f"v{version}/", f"{DIGESTS}/v{version}.sha256"
    return {key: value for key, value in identities.items() if key.startswith(folder) or key == digest}


def _ledger_entries(ledger: Any) -> tuple[dict[int, dict[str, Any]], int]:
    """The ledger's usable entries by version and how many checks it has counted; a ledger of another
    format, or not a ledger at all, gives none (every version is then read)."""
    if not isinstance(ledger, dict) or ledger.get("format") != LEDGER_FORMAT:
        return {}, 0
    checks = ledger.get("checks")
    entries = ledger.get("versions")
    if not isinstance(checks, int) or not isinstance(entries, dict):
        return {}, 0
    usable = {}
    for version, entry in entries.items():
        if (
            isinstance(version, str)
            and version.isdigit()
            and isinstance(entry, dict)
            and isinstance(entry.get("files"), dict)
            and isinstance(entry.get("hashed_at"), int)
        ):
            usable[int(version)] = entry
    return usable, checks


def _version_problems(store: Store, version: int, digests: dict[int, str], stored: dict[str, str]) -> list[str]:
    """One published version read in full: its manifest against the recorded digest, each file against the
    manifest, files the manifest does not list (among `stored`, its keys from the check's one listing), and
    the manifest's counts against the files' rows."""
    problems = []
    blob = store.read_bytes(f"v{version}/{MANIFEST}")
    recorded = digests.get(version)
    if recorded is None:
        problems.append(f"v{version}/{MANIFEST}: no recorded digest ({DIGESTS}/v{version}.sha256 is missing)")
    elif sha256_bytes(blob) != recorded:
        problems.append(f"v{version}/{MANIFEST}: sha256 differs from the recorded digest (manifest edited)")
    manifest = json.loads(blob.decode("utf-8"))
    listed = manifest["files"]
    blobs = {}
    for name, expected in listed.items():
        try:
            blobs[name] = store.read_bytes(f"v{version}/{name}")
        except FileNotFoundError:
            problems.append(f"v{version}/{name}: missing")
            continue
        if sha256_bytes(blobs[name]) != expected:
            problems.append(f"v{version}/{name}: sha256 differs from the manifest (tampered)")
    for key in sorted(stored):
        if not key.startswith(f"v{version}/"):  # its recorded digest, outside the folder
            continue
        name = key.split("/", 1)[1]
        if name != MANIFEST and name not in listed:
            problems.append(f"v{version}/{name}: not in the manifest (extra file)")
    problems.extend(_count_problems(version, manifest, blobs))
    return problems
