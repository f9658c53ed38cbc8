"""The warehouse and the drops on S3, through dagster-aws's `S3Resource` (boto3).

Kept apart from their local bases (`warehouse.py`, `drops.py`) so that dagster-aws and boto3, about a second
of imports, load only in a deployment that uses S3: `warehouse_from_env` and `drops_from_env` import this
module when the environment names a bucket.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import boto3
from dagster_aws.s3 import S3Resource
from pydantic import PrivateAttr

from dagster_project.resources.drops import DropsResource
from dagster_project.resources.warehouse import DEFAULT_STATE, WarehouseResource
from gleaner.drops import DropRef, DropSighting, RefusedDrop, check_s3, drop_path, mirror_s3_drop, scan_s3, upload_drop
from gleaner.storage import S3Settings, S3Store, Store, parse_s3_url


class S3WarehouseResource(WarehouseResource):
    """The same warehouse under `s3://bucket/prefix`, through dagster-aws's `S3Resource` (boto3).

    DuckDB reads the bucket through httpfs with a session-only secret built from the same configuration
    (endpoint, region, the AWS credential chain): nothing of it is logged or written to the catalog."""

    s3: S3Resource
    state_dir: str = DEFAULT_STATE  # local: the catalog file (unless `catalog` is set) and caches
    _store: S3Store | None = PrivateAttr(default=None)  # one boto3 client per resource instance

    @property
    def bucket_and_prefix(self) -> tuple[str, str]:
        return parse_s3_url(self.root)

    def _settings(self, client: Any) -> S3Settings:
        key_id, secret, token = self.s3.aws_access_key_id, self.s3.aws_secret_access_key, self.s3.aws_session_token
        if not (key_id and secret):
            found = boto3.session.Session(profile_name=self.s3.profile_name).get_credentials()
            if found is not None:
                frozen = found.get_frozen_credentials()
                key_id, secret, token = frozen.access_key, frozen.secret_key, frozen.token
        endpoint = self.s3.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        return S3Settings(
            region=client.meta.region_name or "us-east-1",
            key_id=key_id,
            secret=secret,
            session_token=token,
            endpoint_url=endpoint,
        )

    @property
    def store(self) -> Store:
        if self._store is None:
            bucket, prefix = self.bucket_and_prefix
            client = self.s3.get_client()
            self._store = S3Store(client, bucket, prefix, self._settings(client))
        return self._store

    @property
    def path(self) -> Path:
        raise ValueError(f"the warehouse is on S3 ({self.root}); use the WarehouseResource methods, not paths")

    @property
    def catalog_path(self) -> Path:
        if self.catalog:
            return Path(self.catalog).resolve()
        bucket, prefix = self.bucket_and_prefix
        name = "-".join(p for p in (bucket, *prefix.split("/")) if p)
        return Path(self.state_dir).resolve() / f"catalog-{name}.duckdb"

    def scratch_dir(self, name: str) -> Path:
        return Path(self.state_dir).resolve() / name


class S3DropsResource(DropsResource):
    """Drops under ``s3://bucket/prefix``; ``root`` is the local folder they are mirrored into to be read."""

    s3: S3Resource
    bucket: str
    prefix: str = "drops"

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix.strip('/')}"

    def scan(self) -> list[DropSighting | RefusedDrop]:
        return scan_s3(self.s3.get_client(), self.bucket, self.prefix)

    def check(self, sighting: DropSighting) -> str | None:
        return check_s3(self.s3.get_client(), self.bucket, sighting)

    def complete_drops(self, source: str, date: str) -> list[DropRef]:
        client = self.s3.get_client()
        for found in scan_s3(client, self.bucket, self.prefix, under=f"{source}/{date}/"):
            if isinstance(found, DropSighting) and check_s3(client, self.bucket, found) is None:
                mirror_s3_drop(client, self.bucket, found, self.local_root)
        return super().complete_drops(source, date)

    def keep_crawled(self, source: str, date: str, drop_id: str) -> str:
        """Upload the crawl's drop, so a re-materialization on another machine reads it instead of crawling
        again (which would not give the same bytes)."""
        local = drop_path(self.local_root, source, date, drop_id)
        key = upload_drop(self.s3.get_client(), self.bucket, self.prefix, local, source, date, drop_id)
        return f"s3://{self.bucket}/{key}"
