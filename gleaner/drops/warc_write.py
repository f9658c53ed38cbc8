"""Writing a scrape drop: pages as WARC records (response or resource, request, metadata), the marker last.

Record ids and dates come from the drop and the page, never the clock, so the same pages make the same bytes.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from gleaner.drops.local import (
    DROP_FORMAT,
    H_BODY,
    H_NOTES,
    H_RENDERER,
    H_REQUESTED,
    H_SERVED_TYPE,
    MARKER,
    WARC_NAME,
    DropExistsError,
    _date_text,
    _inside,
    drop_path,
    file_sha256,
)
from gleaner.pages import FetchedPage, media_type

# Record ids are uuid5 in this namespace over what the record is about, not random: the same pages written
# as the same drop give the same bytes, which is what makes a resumed crawl's drop checkable.
_RECORD_ID_NAMESPACE = uuid.UUID("5f0e1c8a-3b7d-4e52-9a61-0c2f8d4b7e19")


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
        digest, size = file_sha256(warc_tmp), warc_tmp.stat().st_size
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
