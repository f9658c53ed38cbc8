"""Where scrape drops arrive: the local drops folder, or an S3 prefix mirrored into it on read.

`drops_from_env` picks one: ``GLEANER_DROPS_S3=s3://bucket/prefix`` for S3 (credentials and endpoint the
usual AWS way), the folder otherwise (``GLEANER_DROPS``, default ``drops`` beside the warehouse).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dagster as dg

from dagster_project.resources.warehouse import default_drops_dir
from gleaner.drops import (
    DropRef,
    DropSighting,
    RefusedDrop,
    check_local,
    drop_path,
    list_complete_drops,
    scan_local,
)


class DropsResource(dg.ConfigurableResource):
    """The local drops folder: what the drop sensor watches and ``raw_pages`` reads."""

    root: str | None = None  # None: GLEANER_DROPS, else `drops` beside the warehouse

    @property
    def local_root(self) -> Path:
        if self.root:
            return Path(self.root).resolve()
        return default_drops_dir()

    @property
    def location(self) -> str:
        return str(self.local_root)

    def scan(self) -> list[DropSighting | RefusedDrop]:
        return scan_local(self.local_root)

    def check(self, sighting: DropSighting) -> str | None:
        return check_local(sighting)

    def complete_drops(self, source: str, date: str) -> list[DropRef]:
        """The partition's complete drops, in the local folder (brought there first if they live elsewhere)."""
        return list_complete_drops(self.local_root, source=source, date=date)

    def keep_crawled(self, source: str, date: str, drop_id: str) -> str:
        """Where a drop the crawler just wrote is kept for good: here, the local folder it was written to."""
        return str(drop_path(self.local_root, source, date, drop_id))


def drops_from_env() -> DropsResource:
    s3_url = os.environ.get("GLEANER_DROPS_S3")
    if not s3_url:
        return DropsResource()
    parts = urlsplit(s3_url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"GLEANER_DROPS_S3={s3_url!r}: expected s3://bucket/prefix")
    from dagster_aws.s3 import S3Resource

    from dagster_project.resources.s3 import S3DropsResource

    return S3DropsResource(
        s3=S3Resource(endpoint_url=os.environ.get("AWS_ENDPOINT_URL")), bucket=parts.netloc, prefix=parts.path
    )


def __getattr__(name: str) -> Any:
    """`S3DropsResource` lives in `dagster_project.resources.s3` (dagster-aws and boto3 load only for S3
    drops); it is still importable from here."""
    if name == "S3DropsResource":
        from dagster_project.resources import s3

        return s3.S3DropsResource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
