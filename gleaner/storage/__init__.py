"""Where the warehouse's bytes live (a folder or an S3 prefix, `backends`), how assets lay them out
(Hive-style Parquet per asset and partition plus a DuckDB catalog of views, `warehouse`), and the immutable
published versions (`versions`: a version exists once its manifest exists; nothing writes into one)."""

from gleaner.surface import lazy_surface

__getattr__, __dir__, __all__ = lazy_surface(
    __name__,
    {
        "": ("warehouse",),
        "backends": ("LocalStore", "S3Settings", "S3Store", "Store", "parse_s3_url"),
        "versions": (
            "PublishOutcome",
            "Verification",
            "VersionConflict",
            "broken_versions",
            "publish",
            "published_versions",
            "read_manifest",
            "verify_versions",
            "verify_versions_since",
            "version_paths",
            "warehouse_versions",
        ),
    },
)
