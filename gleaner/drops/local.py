"""Scrape drops: pages on disk as WARC, in the layout an external scraper would hand over.

The crawler writes its output as a drop and ingestion reads only drops, so crawled pages and pages from
other tools take one path. A drop is a directory ``<root>/<source>/<YYYY-MM-DD>/<drop_id>/`` holding one
WARC file and a ``_COMPLETE`` marker written last; a drop without the marker is still being written (or
its writer died) and is invisible to readers. The layout and record conventions are in docs/drops.md.

Reading is lenient about what other tools produce (plain or gzipped WARC, any charset, missing HTTP
headers or dates) and strict about where it reads from: names and symlinks that lead outside the drop
root are refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.warcwriter import WARCWriter

from gleaner.drops.warc_records import RawRecord, Unreadable, split_warc
from gleaner.pages import DROP_ERROR, FetchedPage, decode_html, is_html, media_type
from gleaner.sources import SLUG
from gleaner.urls import canonicalize_url

logger = logging.getLogger(__name__)

MARKER = "_COMPLETE"
WARC_NAME = "pages.warc.gz"
WARC_NAMES = ("pages.warc.gz", "pages.warc")  # what a reader accepts when the marker names no file
DROP_FORMAT = "gleaner-drop/1"
DROP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HTTP_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0", "HTTP/3"], verify=False)

# Gleaner's own WARC headers.
H_REQUESTED = "WARC-Gleaner-Requested-URI"
H_NOTES = "WARC-Gleaner-Notes"
H_SERVED_TYPE = "WARC-Gleaner-Served-Content-Type"
H_BODY = "WARC-Gleaner-Body"
H_RENDERER = "WARC-Gleaner-Renderer"
# Record ids are uuid5 in this namespace over what the record is about, not random: the same pages written
# as the same drop give the same bytes, which is what makes a resumed crawl's drop checkable.
_RECORD_ID_NAMESPACE = uuid.UUID("5f0e1c8a-3b7d-4e52-9a61-0c2f8d4b7e19")


class DropError(Exception):
    """A drop that cannot be written or read as asked; the message names the drop."""


class DropPathError(DropError, ValueError):
    """A source, date, drop id or symlink that would lead outside the drop root."""


class DropIncompleteError(DropError):
    """No completeness marker: the drop is still being written, or its writer died."""


class DropIntegrityError(DropError):
    """The WARC file does not match its marker (truncated, replaced, corrupted)."""


class DropExistsError(DropError):
    """A complete drop with this id already exists; drops are immutable once marked complete."""


@dataclass(frozen=True, order=True)
class DropRef:
    source: str
    date: str
    drop_id: str
    path: Path


# ------------------------------------------------------------------------------------------------ paths


def _date_text(value: date | str) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value)
    if not _DATE.match(text):
        raise DropPathError(f"drop date {value!r} is not YYYY-MM-DD")
    try:
        date.fromisoformat(text)
    except ValueError as exc:
        raise DropPathError(f"drop date {value!r} is not a real date: {exc}") from exc
    return text


def _check_name(kind: str, value: str, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.match(value) or value in (".", ".."):
        raise DropPathError(
            f"{kind} {value!r} is not allowed in a drop path (plain names only: no '/', '..' or absolute)"
        )
    return value


def _inside(root: Path, path: Path, what: str) -> Path:
    """``path`` with symlinks resolved, refusing anything that ends up outside ``root``."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        raise DropPathError(f"{what} {path} resolves to {resolved}, outside the drop root {root}")
    return resolved


def drop_path(drops_root: Path | str, source: str, day: date | str, drop_id: str) -> Path:
    """The directory of one drop, validated: plain names only and no symlink out of ``drops_root``."""
    root = Path(drops_root).resolve()
    _check_name("source", source, SLUG)
    _check_name("drop id", drop_id, DROP_ID)
    path = root / source / _date_text(day) / drop_id
    _inside(root, path, "drop directory")
    return path


def check_drop_names(source: str, day: str, drop_id: str) -> None:
    """Raise `DropPathError` unless all three are plain names: what any listing (folder or S3) must check."""
    _check_name("source", source, SLUG)
    _date_text(day)
    _check_name("drop id", drop_id, DROP_ID)


def warc_name(marker: dict[str, Any]) -> str | None:
    """The WARC file a marker names, refused unless it is a plain file name (no path can leave the drop)."""
    named = marker.get("warc_file")
    if named is not None and (
        not isinstance(named, str) or not named or "/" in named or "\\" in named or named in (".", "..")
    ):
        raise DropPathError(f"warc_file {named!r} must be a plain file name")
    return named


def make_drop_id(now: datetime | None = None) -> str:
    """A sortable, collision-safe id: UTC timestamp plus a random suffix (``20261120T101500Z-3f9a1c``)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


# ------------------------------------------------------------------------------------------------ write


def _warc_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _payload_content_type(page: FetchedPage) -> str | None:
    if page.html is None:
        return page.content_type
    declared = media_type(page.content_type)
    kind = declared if declared in ("text/html", "application/xhtml+xml") else "text/html"
    return f"{kind}; charset=utf-8"  # html is text now; it is stored as UTF-8 whatever it was served as


def _record_id(drop_key: str, kind: str, *parts: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(_RECORD_ID_NAMESPACE, chr(0).join((drop_key, kind, *parts)))}>"


_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(page: FetchedPage) -> FetchedPage:
    """A rendered DOM can hold unpaired surrogates (a script's string cut mid-pair), which UTF-8 cannot store:
    each becomes U+FFFD, and the page says how many, rather than the drop failing to be written."""
    found = len(_SURROGATE.findall(page.html)) if page.html else 0
    if not found:
        return page
    note = f"{found} unpaired surrogate(s) in the page text replaced by U+FFFD"
    return replace(page, html=_SURROGATE.sub("\ufffd", page.html), notes=(*page.notes, note))


def _page_records(writer: WARCWriter, page: FetchedPage, drop_key: str) -> list[Any]:
    page = _encodable(page)
    common = {"WARC-Date": _warc_date(page.fetched_at), H_REQUESTED: page.requested_url}
    if page.notes:
        common[H_NOTES] = json.dumps(list(page.notes))
    about = (page.requested_url, page.final_url, common["WARC-Date"])
    records = []
    response_id = None
    if page.status is not None:
        body = page.html.encode("utf-8") if page.html is not None else b""
        headers = []
        payload_type = _payload_content_type(page)
        if payload_type:
            headers.append(("Content-Type", payload_type))
        headers.append(("Content-Length", str(len(body))))
        try:
            reason = HTTPStatus(page.status).phrase
        except ValueError:
            reason = "Unknown"
        warc_headers = {
            **common,
            "WARC-Record-ID": _record_id(drop_key, "response", *about),
            H_SERVED_TYPE: page.content_type or "",
        }
        if page.html is None:
            warc_headers[H_BODY] = "none"
        if page.renderer:
            warc_headers[H_RENDERER] = page.renderer
        record = writer.create_warc_record(
            page.final_url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(f"{page.status} {reason}", headers, protocol="HTTP/1.1"),
            warc_headers_dict=warc_headers,
        )
        response_id = record.rec_headers.get_header("WARC-Record-ID")
        records.append(record)
    if page.error is not None:
        payload = json.dumps({"error": page.error}).encode("utf-8")
        headers = (
            {**common, "Content-Type": "application/json"}
            if response_id is None
            else {
                "WARC-Date": common["WARC-Date"],
                H_REQUESTED: page.requested_url,
                "WARC-Refers-To": response_id,
            }
        )
        headers["WARC-Record-ID"] = _record_id(drop_key, "metadata", *about)
        records.append(
            writer.create_warc_record(
                page.final_url,
                "metadata",
                payload=BytesIO(payload),
                length=len(payload),
                warc_content_type="application/json",
                warc_headers_dict=headers,
            )
        )
    return records


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems cannot fsync directories; the rename is still atomic
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_drop(
    drops_root: Path | str, source: str, date: date | str, drop_id: str, pages: Iterable[FetchedPage]
) -> Path:
    """Write pages as a complete drop and return its directory.

    The WARC goes to a temporary name and is renamed into place; the ``_COMPLETE`` marker (record
    count, sha256 of the WARC, written_at) is written the same way, last. If ``pages`` raises midway
    (a crawl that died), the temporary file is removed and no marker exists, so readers never see a
    partial drop; writing the same drop id again replaces the leftovers.
    """
    target = drop_path(drops_root, source, date, drop_id)
    day = _date_text(date)
    if (target / MARKER).exists():
        raise DropExistsError(f"drop {target} is already complete; drops are never rewritten")
    target.mkdir(parents=True, exist_ok=True)
    root = Path(drops_root).resolve()
    _inside(root, target, "drop directory")  # again, now that it exists: a raced-in symlink is caught here
    for leftover in target.glob(".*.tmp-*"):
        leftover.unlink(missing_ok=True)

    token = uuid.uuid4().hex[:8]
    warc_tmp = target / f".{WARC_NAME}.tmp-{token}"
    record_count = page_count = 0
    try:
        with warc_tmp.open("wb") as fh:
            writer = WARCWriter(fh, gzip=True, warc_version="1.1")
            info = {"software": "gleaner", "format": DROP_FORMAT, "source": source, "drop-id": drop_id}
            warcinfo = writer.create_warcinfo_record(WARC_NAME, info)
            drop_key = f"{source}/{day}/{drop_id}"
            warcinfo.rec_headers.replace_header("WARC-Record-ID", _record_id(drop_key, "warcinfo"))
            warcinfo.rec_headers.replace_header("WARC-Date", f"{day}T00:00:00Z")  # the partition's, not now
            writer.write_record(warcinfo)
            record_count += 1
            for page in pages:
                for record in _page_records(writer, page, drop_key):
                    writer.write_record(record)
                    record_count += 1
                page_count += 1
            fh.flush()
            os.fsync(fh.fileno())
        digest, size = _sha256(warc_tmp), warc_tmp.stat().st_size
        os.replace(warc_tmp, target / WARC_NAME)
    except BaseException:
        warc_tmp.unlink(missing_ok=True)
        raise

    marker = {
        "format": DROP_FORMAT,
        "source": source,
        "date": day,
        "drop_id": drop_id,
        "warc_file": WARC_NAME,
        "sha256": digest,
        "bytes": size,
        "record_count": record_count,
        "page_count": page_count,
        "written_at": datetime.now(UTC).isoformat(),
    }
    marker_tmp = target / f".{MARKER}.tmp-{token}"
    with marker_tmp.open("w", encoding="utf-8") as fh:
        json.dump(marker, fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(marker_tmp, target / MARKER)
    _fsync_dir(target)
    return target


# ------------------------------------------------------------------------------------------------- read


def read_marker(drop_dir: Path | str) -> dict[str, Any]:
    """The parsed ``_COMPLETE`` marker; raises `DropIncompleteError` if there is none."""
    drop_dir = Path(drop_dir)
    marker = drop_dir / MARKER
    if not marker.is_file():
        raise DropIncompleteError(f"{drop_dir} has no {MARKER} marker; the drop is incomplete")
    _inside(drop_dir.resolve(), marker, "marker")
    try:
        data = json.loads(marker.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError) as exc:
        raise DropError(f"{marker} is not a readable JSON marker: {exc}") from exc
    if not isinstance(data, dict):
        raise DropError(f"{marker} must hold a JSON object")
    return data


def _warc_file(drop_dir: Path, marker: dict[str, Any]) -> Path:
    try:
        named = warc_name(marker)
    except DropPathError as exc:
        raise DropPathError(f"{drop_dir / MARKER}: {exc}") from exc
    candidates = [named] if named is not None else list(WARC_NAMES)
    for name in candidates:
        path = drop_dir / name
        if path.is_file():
            _inside(drop_dir.resolve(), path, "WARC file")
            return path
    raise DropError(f"{drop_dir} has no WARC file (looked for {', '.join(candidates)})")


def check_drop(drop_dir: Path | str) -> Path:
    """The WARC of a complete drop, after checking that its marker and WARC stay inside the drop.

    Raises `DropIncompleteError`, `DropPathError` or `DropError` (unreadable marker, no WARC) naming why.
    """
    drop_dir = Path(drop_dir)
    return _warc_file(drop_dir, read_marker(drop_dir))


def _parse_warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _split_http(block: bytes) -> tuple[StatusAndHeaders | None, bytes]:
    if not block.startswith(b"HTTP/"):
        return None, block
    stream = BytesIO(block)
    headers = _HTTP_PARSER.parse(stream)
    return headers, stream.read()


def _decode_transfer(headers: StatusAndHeaders, body: bytes) -> tuple[bytes, str | None]:
    """Undo chunking and Content-Encoding, as the WARC holds what came over the wire."""
    encoding = (headers.get_header("content-encoding") or "").strip().lower() or None
    if encoding in ("identity", None):
        encoding = None
    elif encoding not in BufferedReader.get_supported_decompressors():
        return body, f"unsupported Content-Encoding {encoding!r}; body kept as stored"
    chunked = (headers.get_header("transfer-encoding") or "").lower() == "chunked"
    if not chunked and encoding is None:
        return body, None
    try:
        reader = (
            ChunkedDataReader(BytesIO(body), decomp_type=encoding)
            if chunked
            else BufferedReader(BytesIO(body), decomp_type=encoding)
        )
        return reader.read(), None
    except Exception as exc:  # a tool that stored the decoded body but kept the header: use it as is
        return (
            body,
            f"could not undo {'chunking/' if chunked else ''}{encoding or ''} ({exc}); body kept as stored",
        )


@dataclass
class _Pending:
    record_id: str | None
    page: FetchedPage


def _basics(record: Any, fallback_time: datetime) -> tuple[str, str, datetime, list[str]] | None:
    """(final URL, requested URL, fetched_at, notes) from a record's WARC headers; None without a URL."""
    h = record.rec_headers
    target = (h.get_header("WARC-Target-URI") or "").strip("<> ")
    if not target:
        logger.warning(f"skipping a {record.rec_type} record without WARC-Target-URI")
        return None
    notes: list[str] = []
    if h.get_header(H_NOTES):
        try:
            notes = [str(n) for n in json.loads(h.get_header(H_NOTES))]
        except ValueError:
            notes = [f"unreadable {H_NOTES} header: {h.get_header(H_NOTES)[:200]}"]
    fetched_at = _parse_warc_date(h.get_header("WARC-Date"))
    if fetched_at is None:
        fetched_at = fallback_time
        notes.append("record has no usable WARC-Date; used the drop's time")
    return target, h.get_header(H_REQUESTED) or target, fetched_at, notes


def _page(basics: tuple[str, str, datetime, list[str]], **fields: Any) -> FetchedPage:
    """A page with the URLs, time and notes ``_basics`` read (notes added since included)."""
    target, requested, fetched_at, notes = basics
    try:
        canonical = canonicalize_url(target)
    except ValueError as exc:  # an invalid IPv6 host, a port past 65535: this page fails, not the drop
        canonical = target
        fields = {**fields, "html": None, "error": f"invalid page URL {target!r}: {exc}"}
    return FetchedPage(
        requested_url=requested,
        final_url=target,
        canonical_url=canonical,
        fetched_at=fetched_at,
        notes=tuple(notes),
        **fields,
    )


def _document_page(record: Any, block: bytes, fallback_time: datetime) -> FetchedPage | None:
    """A page from a ``response`` (HTTP envelope) or ``resource`` (bare document) record."""
    basics = _basics(record, fallback_time)
    if basics is None:
        return None
    notes = basics[3]  # appended to below; _page reads them from basics
    h = record.rec_headers
    status: int | None = None
    if record.rec_type == "response":
        http_headers, body = _split_http(block)
        if http_headers is None:
            notes.append("response record without HTTP headers; status unknown")
            payload_type = None
        else:
            code = http_headers.get_statuscode()
            status = int(code) if code and code.isdigit() else None
            payload_type = http_headers.get_header("content-type")
            body, note = _decode_transfer(http_headers, body)
            if note:
                notes.append(note)
    else:
        body, payload_type = block, h.get_header("Content-Type")

    served = h.get_header(H_SERVED_TYPE)
    content_type = (served or None) if served is not None else payload_type
    html = None
    if h.get_header(H_BODY) != "none":
        if is_html(payload_type, body):
            html, note = decode_html(body, payload_type)
            if note:
                notes.append(note)
        else:
            notes.append(f"non-HTML content ({media_type(payload_type) or 'undeclared'}) not kept")
    return _page(
        basics,
        status=status,
        content_type=content_type,
        html=html,
        renderer=(h.get_header(H_RENDERER) or None) if html is not None else None,
    )


def _failure_page(record: Any, error: str, fallback_time: datetime) -> FetchedPage | None:
    """A fetch that never got a response, from a stand-alone error ``metadata`` record."""
    basics = _basics(record, fallback_time)
    if basics is None:
        return None
    return _page(basics, status=None, content_type=None, html=None, error=error)


def _error_of(block: bytes) -> str | None:
    try:
        data = json.loads(block.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return str(error) if error is not None else None


def drop_failure(where: str, reason: str, fetched_at: datetime) -> FetchedPage:
    """A row for bytes of a drop that could not be read as pages: it fails at stage ``drop`` downstream."""
    return FetchedPage(where, where, where, None, fetched_at, None, None, error=f"{DROP_ERROR}{reason}")


def _parsed(raw: RawRecord) -> Any:
    records = ArchiveIterator(BytesIO(raw.data), no_record_parse=True)
    record = next(iter(records))
    return record, record.raw_stream.read()


def iter_warc_pages(stream: IO[bytes], fallback_time: datetime, label: str = "warc") -> Iterator[FetchedPage]:
    """Pages from one WARC stream (gzipped or not): response and resource records, plus failures.

    A Gleaner ``metadata`` record carrying an error attaches to the response it refers to, or stands
    alone as a page that never got a response. Other record types (warcinfo, request, revisit, foreign
    metadata) carry no page and are skipped. A byte range that is no whole record (a truncated or corrupt
    gzip member, a Content-Length past the end, bytes that are no WARC at all) is a failed page
    (`drop_failure`) at ``<label>#offset=<n>``, never a silent end of the file.
    """
    pending: _Pending | None = None
    for raw in split_warc(stream.read()):
        if isinstance(raw, Unreadable):
            page = drop_failure(f"{label}#offset={raw.offset}", raw.reason, fallback_time)
        else:
            try:
                record, block = _parsed(raw)
            except Exception as exc:  # warcio refusing a record is that record's failure, not the file's
                reason = f"WARC record at offset {raw.offset} unreadable: {type(exc).__name__}: {exc}"
                page = drop_failure(f"{label}#offset={raw.offset}", reason, fallback_time)
            else:
                page = _record_page(record, block, fallback_time, pending)
                if page is None:
                    continue
        if page is _ATTACHED:
            continue
        if pending is not None:
            yield pending.page
        pending = _Pending(None if page.error and page.error.startswith(DROP_ERROR) else _record_id_of(raw), page)
    if pending is not None:
        yield pending.page


_ATTACHED: Any = object()  # an error record merged into the pending page


def _record_id_of(raw: RawRecord) -> str | None:
    match = re.search(rb"(?im)^WARC-Record-ID:[ \t]*(\S+)", raw.data[:8192])
    return match.group(1).decode("ascii", "replace") if match else None


def _record_page(record: Any, block: bytes, fallback_time: datetime, pending: _Pending | None) -> Any:
    """The page a record starts, `_ATTACHED` when it is an error for the pending page, None for no page."""
    rec_type = record.rec_type
    if rec_type in ("response", "resource"):
        return _document_page(record, block, fallback_time)
    if rec_type != "metadata":
        return None
    error = _error_of(block)
    if error is None:
        return None  # foreign metadata (outlinks, crawl logs): nothing to do with a page
    refers = record.rec_headers.get_header("WARC-Refers-To")
    if refers is not None and pending is not None and refers == pending.record_id:
        pending.page = replace(pending.page, error=error)
        return _ATTACHED
    if refers is not None:
        logger.warning(f"error metadata refers to {refers}, which is not the preceding response")
        return None
    return _failure_page(record, error, fallback_time)


def read_drop(drop: DropRef | Path | str, *, verify: bool = True) -> Iterator[FetchedPage]:
    """Every page in a complete drop, in stored order.

    Raises `DropIncompleteError` without a marker and `DropIntegrityError` when the WARC's sha256 does
    not match the marker (``verify=False`` skips the check, for salvage).
    """
    drop_dir = drop.path if isinstance(drop, DropRef) else Path(drop)
    marker = read_marker(drop_dir)
    warc = _warc_file(drop_dir, marker)
    expected = marker.get("sha256")
    if verify and expected:
        actual = _sha256(warc)
        if actual != str(expected).lower():
            raise DropIntegrityError(f"{warc}: sha256 {actual} does not match the marker's {expected}")
    fallback = _parse_warc_date(str(marker.get("written_at") or "")) or _drop_day_start(drop_dir)
    with warc.open("rb") as fh:
        yield from iter_warc_pages(fh, fallback, label=f"{drop_dir.name}/{warc.name}")


def _drop_day_start(drop_dir: Path) -> datetime:
    try:
        return datetime.fromisoformat(drop_dir.parent.name).replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(drop_dir.stat().st_mtime, UTC)


def list_complete_drops(
    drops_root: Path | str, source: str | None = None, date: date | str | None = None
) -> list[DropRef]:
    """Complete drops under the root, sorted by (source, date, drop_id); incomplete ones are ignored.

    Directories whose names are not a source slug, a YYYY-MM-DD date or a drop id are skipped (logged);
    a symlink that leads outside the root raises `DropPathError`.
    """
    root = Path(drops_root).resolve()
    if not root.is_dir():
        return []
    wanted_source = _check_name("source", source, SLUG) if source is not None else None
    wanted_date = _date_text(date) if date is not None else None
    refs: list[DropRef] = []
    for source_dir in sorted(root.iterdir()):
        if source_dir.name.startswith(".") or (wanted_source and source_dir.name != wanted_source):
            continue
        if not SLUG.match(source_dir.name):
            logger.warning(f"ignoring {source_dir}: not a source name")
            continue
        if not _inside(root, source_dir, "source directory").is_dir():
            continue
        for day_dir in sorted(source_dir.iterdir()):
            if day_dir.name.startswith(".") or (wanted_date and day_dir.name != wanted_date):
                continue
            try:
                day = _date_text(day_dir.name)
            except DropPathError:
                logger.warning(f"ignoring {day_dir}: not a YYYY-MM-DD directory")
                continue
            if not _inside(root, day_dir, "date directory").is_dir():
                continue
            for drop_dir in sorted(day_dir.iterdir()):
                if drop_dir.name.startswith(".") or not DROP_ID.match(drop_dir.name):
                    continue
                if not _inside(root, drop_dir, "drop directory").is_dir():
                    continue
                marker = drop_dir / MARKER
                if marker.is_file():
                    _inside(root, marker, "marker")
                    refs.append(
                        DropRef(source_dir.name, day, drop_dir.name, root / source_dir.name / day / drop_dir.name)
                    )
    return sorted(refs)
