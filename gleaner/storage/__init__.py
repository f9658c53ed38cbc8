"""Where the warehouse's bytes live (a folder or an S3 prefix, `backends`), how assets lay them out
(Hive-style Parquet per asset and partition plus a DuckDB catalog of views, `warehouse`), and the immutable
published versions (`versions`: a version exists once its manifest exists; nothing writes into one)."""

from gleaner.storage import warehouse
from gleaner.storage.backends import LocalStore, S3Settings, S3Store, Store, parse_s3_url
from gleaner.storage.versions import (
    PublishOutcome,
    Verification,
    VersionConflict,
    broken_versions,
    publish,
    published_versions,
    read_manifest,
    verify_versions,
    verify_versions_since,
    version_paths,
    warehouse_versions,
)

__all__ = [
    "LocalStore",
    "PublishOutcome",
    "S3Settings",
    "S3Store",
    "Store",
    "Verification",
    "VersionConflict",
    "broken_versions",
    "parse_s3_url",
    "publish",
    "published_versions",
    "read_manifest",
    "verify_versions",
    "verify_versions_since",
    "version_paths",
    "warehouse",
    "warehouse_versions",
]
