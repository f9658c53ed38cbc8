"""Where the warehouse's bytes live: a local folder or an S3 prefix, behind the same few operations.

Keys are `/`-separated paths relative to the warehouse root (`deduped_records/source=acme/date=.../part-0.parquet`).
Every write is atomic for readers (a local temporary file renamed into place; a single S3 PUT), and
`create_exclusive` is the one operation that may refuse: `O_EXCL` locally, `If-None-Match: *` on S3.
`configure_duckdb` makes a DuckDB connection able to read `location(...)` globs (httpfs + a session secret
on S3; nothing locally).
"""

from __future__ import annotations

import io
import os
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import polars as pl


class Store(ABC):
    url: str  # the root: an absolute folder, or s3://bucket/prefix

    def location(self, key: str = "") -> str:
        """The full path or URL of `key`, as DuckDB and polars want it (globs allowed)."""
        return f"{self.url.rstrip('/')}/{key}" if key else self.url

    @abstractmethod
    def write_bytes(self, key: str, data: bytes) -> str: ...

    @abstractmethod
    def create_exclusive(self, key: str, data: bytes) -> str:
        """Write `key` only if nothing is there yet; FileExistsError otherwise."""

    @abstractmethod
    def read_bytes(self, key: str) -> bytes:
        """The object's bytes; FileNotFoundError when there is none."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """Every key under the folder `prefix` (recursively), sorted; temporary files left out."""

    @abstractmethod
    def identities(self, prefix: str) -> dict[str, str]:
        """Every key under the folder `prefix` with what identifies its stored bytes without reading them.
        Any write or replacement gives the key a new identity, so an identity seen before means the bytes
        seen then (see each backend)."""

    def configure_duckdb(self, con: duckdb.DuckDBPyConnection) -> None:  # noqa: B027 - a no-op locally
        """Let `con` read this store's locations."""

    def read_parquet(self, key: str, columns: list[str] | None = None) -> pl.DataFrame:
        return pl.read_parquet(io.BytesIO(self.read_bytes(key)), columns=columns)

    def has_suffix_under(self, prefix: str, suffix: str) -> bool:
        return any(k.endswith(suffix) for k in self.list_keys(prefix))

    @abstractmethod
    def top_level(self) -> list[str]:
        """The names of the folders directly under the root."""

    @abstractmethod
    def sub(self, folder: str) -> Store:
        """The same backend rooted at `folder` under this root."""


def _folder(prefix: str) -> str:
    return prefix.strip("/") + "/" if prefix.strip("/") else ""


class LocalStore(Store):
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.url = str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / key

    def sub(self, folder: str) -> LocalStore:
        return LocalStore(self.root / folder.strip("/"))

    def write_bytes(self, key: str, data: bytes) -> str:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        return str(target)

    def create_exclusive(self, key: str, data: bytes) -> str:
        """Written whole to a temporary name, fsynced, made read-only, then hard-linked into place: the link
        fails with FileExistsError if the name is taken, and a reader never sees a torn file."""
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.link(tmp, target)  # FileExistsError if taken
        finally:
            tmp.unlink(missing_ok=True)
        return str(target)

    def read_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def read_parquet(self, key: str, columns: list[str] | None = None) -> pl.DataFrame:
        return pl.read_parquet(self._path(key), columns=columns)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list_keys(self, prefix: str) -> list[str]:
        base = self._path(prefix.strip("/"))
        if not base.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not (p.name.startswith(".") and p.name.endswith(".tmp"))
        )

    def identities(self, prefix: str) -> dict[str, str]:
        """Device, inode, size, and modification and change times in nanoseconds. Writing a file's bytes or
        replacing it changes its change time (or its inode), and no call sets a change time back: `touch`
        and `os.utime` restore the modification time only, and themselves move the change time."""
        out = {}
        for key in self.list_keys(prefix):
            try:
                st = self._path(key).stat()
            except FileNotFoundError:  # removed since listed: left out, as if never listed
                continue
            out[key] = f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"
        return out

    def has_suffix_under(self, prefix: str, suffix: str) -> bool:
        base = self._path(prefix.strip("/"))
        return base.is_dir() and any(p.is_file() for p in base.rglob(f"*{suffix}"))

    def top_level(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir()) if self.root.is_dir() else []


@dataclass(frozen=True)
class S3Settings:
    """What DuckDB's httpfs needs to reach the same bucket as boto3 (never logged, never persisted)."""

    region: str
    key_id: str | None
    secret: str | None
    session_token: str | None
    endpoint_url: str | None

    def __repr__(self) -> str:  # keep credentials out of logs and tracebacks
        return f"S3Settings(region={self.region!r}, endpoint_url={self.endpoint_url!r})"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def httpfs_extension_path() -> str | None:
    """The httpfs binary shipped by the `duckdb-extension-httpfs` wheel for this DuckDB version, if any."""
    try:
        import duckdb_extension_httpfs
    except ImportError:
        return None
    found = Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    binary = found / "httpfs.duckdb_extension"
    return str(binary) if binary.is_file() else None


def load_httpfs(con: duckdb.DuckDBPyConnection) -> None:
    """Offline first: the wheel's binary, then an installed extension, then DuckDB's own download."""
    bundled = httpfs_extension_path()
    if bundled:
        con.execute(f"LOAD {_quote(bundled)}")
        return
    try:
        con.execute("LOAD httpfs")
    except duckdb.Error:
        con.execute("INSTALL httpfs")
        con.execute("LOAD httpfs")


def s3_secret_sql(settings: S3Settings, name: str = "gleaner_s3") -> str:
    """A session-scoped (TEMPORARY) DuckDB secret: it lives in memory only, never in a catalog file."""
    options = ["TYPE s3", f"REGION {_quote(settings.region)}"]
    if settings.key_id and settings.secret:
        options += [f"KEY_ID {_quote(settings.key_id)}", f"SECRET {_quote(settings.secret)}"]
    if settings.session_token:
        options.append(f"SESSION_TOKEN {_quote(settings.session_token)}")
    if settings.endpoint_url:
        parts = urlsplit(settings.endpoint_url)
        options += [
            f"ENDPOINT {_quote(parts.netloc)}",
            "URL_STYLE 'path'",  # S3-compatible servers (MinIO, moto, R2...) address buckets by path
            f"USE_SSL {'true' if parts.scheme == 'https' else 'false'}",
        ]
    return f"CREATE OR REPLACE TEMPORARY SECRET {name} ({', '.join(options)})"


class S3Store(Store):
    """`s3://bucket/prefix` through a boto3 client (dagster-aws `S3Resource.get_client()` in the resource)."""

    def __init__(self, client: Any, bucket: str, prefix: str = "", settings: S3Settings | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.settings = settings
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"

    def sub(self, folder: str) -> S3Store:
        return S3Store(self.client, self.bucket, self._key(folder.strip("/")), self.settings)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key  # _key("") is the root folder, with its slash

    def write_bytes(self, key: str, data: bytes) -> str:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)  # one PUT: all or nothing
        return self.location(key)

    def create_exclusive(self, key: str, data: bytes) -> str:
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*")
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = exc.response.get("Error", {}).get("Code")
            # 412: the key exists. 409: another conditional write of the same key is in flight.
            if status in (409, 412) or code in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise FileExistsError(self.location(key)) from exc
            raise
        return self.location(key)

    def read_bytes(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(self.location(key)) from exc
            raise

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return False
            raise
        return True

    def _pages(self, prefix: str):
        paginator = self.client.get_paginator("list_objects_v2")
        yield from paginator.paginate(Bucket=self.bucket, Prefix=self._key(_folder(prefix)))

    def list_keys(self, prefix: str) -> list[str]:
        strip = len(self.prefix) + 1 if self.prefix else 0
        return sorted(obj["Key"][strip:] for page in self._pages(prefix) for obj in page.get("Contents", []))

    def identities(self, prefix: str) -> dict[str, str]:
        """ETag, size and last-modified time from the listing: a PUT, even of the same bytes, gives the
        object a new last-modified time, and the ETag is a digest of the bytes stored."""
        strip = len(self.prefix) + 1 if self.prefix else 0
        return {
            obj["Key"][strip:]: f"{obj.get('ETag', '')}:{obj.get('Size', '')}:{obj['LastModified'].isoformat()}"
            for page in self._pages(prefix)
            for obj in page.get("Contents", [])
        }

    def has_suffix_under(self, prefix: str, suffix: str) -> bool:
        return any(obj["Key"].endswith(suffix) for page in self._pages(prefix) for obj in page.get("Contents", []))

    def top_level(self) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=self._key(""), Delimiter="/")
        start = len(self._key(""))
        return sorted(p["Prefix"][start:].rstrip("/") for page in pages for p in page.get("CommonPrefixes", []))

    def configure_duckdb(self, con: duckdb.DuckDBPyConnection) -> None:
        load_httpfs(con)
        if self.settings is not None:
            con.execute(s3_secret_sql(self.settings))


def parse_s3_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"{url!r}: expected s3://bucket/prefix")
    return parts.netloc, parts.path.strip("/")


def as_store(root: Store | Path | str) -> Store:
    """A Store as is; a folder path as a LocalStore (S3 needs a client: build an S3Store yourself)."""
    if isinstance(root, Store):
        return root
    if str(root).startswith("s3://"):
        raise ValueError(f"{root}: an S3 root needs an S3Store with a client")
    return LocalStore(root)
