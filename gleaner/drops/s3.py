"""Scrape drops under an S3 prefix: the same layout as the drops folder, keys instead of paths.

``s3://<bucket>/<prefix>/<source>/<YYYY-MM-DD>/<drop_id>/{pages.warc.gz,_COMPLETE}``. S3 has no symlinks,
but a key is any string: ``acme/2026-11-20/../../x/_COMPLETE`` is one object, and a tool that joins it
onto a local path would walk out of the drops folder. So every marker key must split into exactly the
three plain names a local drop has, and a marker may only name a WARC beside it. Reading a drop mirrors
it into the local drops folder (WARC first, checked against the marker's sha256, then the marker), where
it is read like any other drop.

Arrival is the marker object's LastModified: S3 sets it when the (small, single-part) marker is written.
Works with any boto3-compatible S3 client (AWS, MinIO, moto).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from gleaner.drops.local import (
    MARKER,
    WARC_NAMES,
    DropError,
    DropIntegrityError,
    check_drop_names,
    drop_path,
    warc_name,
)
from gleaner.drops.scan import DropSighting, RefusedDrop

_MAX_MARKER_BYTES = 1_000_000


def _base(prefix: str) -> str:
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


def _markers(client: Any, bucket: str, prefix: str) -> list[tuple[str, float]]:
    """(key, LastModified) of every object named _COMPLETE under the prefix."""
    found = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if item["Key"].rsplit("/", 1)[-1] == MARKER:
                found.append((item["Key"], item["LastModified"].timestamp()))
    return found


def scan_s3(client: Any, bucket: str, prefix: str, *, under: str = "") -> list[DropSighting | RefusedDrop]:
    """Complete drops and refusals under ``prefix`` (optionally only ``under`` it, e.g. ``acme/2026-11-20/``)."""
    base = _base(prefix)
    found: list[DropSighting | RefusedDrop] = []
    for key, arrived in _markers(client, bucket, base + under):
        name = key[len(base) :]
        parts = name.split("/")
        if len(parts) != 4 or any(part in ("", ".", "..") for part in parts):
            found.append(
                RefusedDrop(
                    arrived,
                    name,
                    f"s3://{bucket}/{key} is not <source>/<YYYY-MM-DD>/<drop_id>/{MARKER} under s3://{bucket}/{base}"
                    " ('..', '.' and empty segments are not names)",
                )
            )
            continue
        try:
            check_drop_names(*parts[:3])
        except DropError as exc:
            found.append(RefusedDrop(arrived, name, f"s3://{bucket}/{key}: {exc}"))
            continue
        found.append(DropSighting(arrived, *parts[:3], location=base + "/".join(parts[:3])))
    return found


def _marker(client: Any, bucket: str, drop_key: str) -> dict[str, Any]:
    body = client.get_object(Bucket=bucket, Key=f"{drop_key}/{MARKER}")["Body"].read(_MAX_MARKER_BYTES + 1)
    if len(body) > _MAX_MARKER_BYTES:
        raise DropError(f"s3 marker {drop_key}/{MARKER} is larger than {_MAX_MARKER_BYTES} bytes")
    try:
        data = json.loads(body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError) as exc:
        raise DropError(f"s3 marker {drop_key}/{MARKER} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise DropError(f"s3 marker {drop_key}/{MARKER} must hold a JSON object")
    return data


def _warc_key(client: Any, bucket: str, drop_key: str, marker: dict[str, Any]) -> str:
    from botocore.exceptions import ClientError

    named = warc_name(marker)
    for name in [named] if named else list(WARC_NAMES):
        try:
            client.head_object(Bucket=bucket, Key=f"{drop_key}/{name}")
        except ClientError:
            continue
        return name
    raise DropError(f"s3://{bucket}/{drop_key}/ has no WARC (looked for {named or ', '.join(WARC_NAMES)})")


def check_s3(client: Any, bucket: str, sighting: DropSighting) -> str | None:
    """Why a complete S3 drop must not be read (bad marker, WARC named by a path, no WARC), or None."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _warc_key(client, bucket, sighting.location, _marker(client, bucket, sighting.location))
    except DropError as exc:
        return str(exc)
    except (BotoCoreError, ClientError) as exc:
        return f"s3://{bucket}/{sighting.location}: {exc}"
    return None


def mirror_s3_drop(client: Any, bucket: str, sighting: DropSighting, drops_root: Path | str) -> Path:
    """Copy one S3 drop into the local drops folder (WARC verified, marker last); returns the local directory."""
    target = drop_path(drops_root, sighting.source, sighting.date, sighting.drop_id)
    if (target / MARKER).exists():
        return target
    marker = _marker(client, bucket, sighting.location)
    name = _warc_key(client, bucket, sighting.location, marker)
    target.mkdir(parents=True, exist_ok=True)
    partial = target / f".{name}.tmp-s3"
    digest = hashlib.sha256()
    body = client.get_object(Bucket=bucket, Key=f"{sighting.location}/{name}")["Body"]
    with partial.open("wb") as fh:
        for chunk in iter(lambda: body.read(1 << 20), b""):
            digest.update(chunk)
            fh.write(chunk)
    expected = marker.get("sha256")
    if expected and digest.hexdigest() != str(expected).lower():
        partial.unlink(missing_ok=True)
        raise DropIntegrityError(f"s3://{bucket}/{sighting.location}/{name}: sha256 does not match its marker")
    os.replace(partial, target / name)
    marker_partial = target / f".{MARKER}.tmp-s3"
    marker_partial.write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    os.replace(marker_partial, target / MARKER)
    return target


def upload_drop(
    client: Any, bucket: str, prefix: str, drop_dir: Path | str, source: str, date: str, drop_id: str
) -> str:
    """Put a complete local drop under the prefix, WARC first and the marker last (so a scanner never sees a
    marker without its WARC); returns the drop's key. A drop whose marker is already there is left alone:
    drops are immutable, and a second upload of the same crawl would change nothing."""
    from botocore.exceptions import ClientError

    check_drop_names(source, date, drop_id)
    drop_dir = Path(drop_dir)
    key = f"{_base(prefix)}{source}/{date}/{drop_id}"
    try:
        client.head_object(Bucket=bucket, Key=f"{key}/{MARKER}")
        return key
    except ClientError:
        pass
    marker_bytes = (drop_dir / MARKER).read_bytes()
    name = warc_name(json.loads(marker_bytes.decode("utf-8"))) or next(n for n in WARC_NAMES if (drop_dir / n).exists())
    client.upload_file(str(drop_dir / name), bucket, f"{key}/{name}")  # multipart when large
    client.put_object(Bucket=bucket, Key=f"{key}/{MARKER}", Body=marker_bytes)
    return key
