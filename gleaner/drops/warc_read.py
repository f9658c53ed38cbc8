"""Reading a scrape drop's WARC back into pages, whoever wrote it, with every unreadable byte range a failed page.

Torn gzip members, lying Content-Lengths and files that are no WARC are found before warcio parses them
(`gleaner.drops.warc_records`), so reading resumes at the next record and nothing vanishes without a row.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

from gleaner.drops.local import (
    H_BODY,
    H_NOTES,
    H_RENDERER,
    H_REQUESTED,
    H_SERVED_TYPE,
    DropIntegrityError,
    DropRef,
    _drop_day_start,
    _warc_file,
    file_sha256,
    read_marker,
)
from gleaner.drops.warc_records import RawRecord, Unreadable, split_warc
from gleaner.pages import DROP_ERROR, FetchedPage, decode_html, is_html, media_type
from gleaner.parallel import read_ahead
from gleaner.urls import canonicalize_url

logger = logging.getLogger(__name__)
_ATTACHED: Any = object()  # an error record merged into the pending page
_HTTP_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0", "HTTP/3"], verify=False)


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
    for raw in read_ahead(split_warc(stream.read())):  # gzip members inflate on a thread while records parse
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
        actual = file_sha256(warc)
        if actual != str(expected).lower():
            raise DropIntegrityError(f"{warc}: sha256 {actual} does not match the marker's {expected}")
    fallback = _parse_warc_date(str(marker.get("written_at") or "")) or _drop_day_start(drop_dir)
    with warc.open("rb") as fh:
        yield from iter_warc_pages(fh, fallback, label=f"{drop_dir.name}/{warc.name}")
