"""A WARC file cut into its records, with every byte range that is not a whole record named, never skipped.

warcio's iterator stops quietly at a gzip member cut short or a record whose Content-Length runs past the
end of the file, and reads a file that is not a WARC at all as one with no records: the pages in the torn
part vanish and the drop looks complete. Here each record is checked before warcio parses it (a gzip
member that ends, a ``WARC/`` header, a block as long as its Content-Length followed by the record
separator); whatever fails becomes an `Unreadable` range with its offset and reason, and reading resumes at
the next gzip member or ``WARC/`` header, so one torn record costs one record.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

GZIP_MAGIC = b"\x1f\x8b\x08"
_RECORD_START = re.compile(rb"WARC/1\.[01]\r?\n")
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class RawRecord:
    offset: int  # of the gzip member holding it (what CDX indexes point at), or of the record itself
    data: bytes  # one uncompressed record: headers, block and separator


@dataclass(frozen=True)
class Unreadable:
    offset: int
    length: int
    reason: str


def _preview(data: bytes) -> str:
    return repr(data[:24])[2:-1]


def _records_in(content: bytes, base: int, in_member: bool) -> Iterator[RawRecord | Unreadable]:
    """Records of uncompressed WARC bytes; ``base`` is the offset reported (the member's, when gzipped)."""
    pos, end = 0, len(content)
    while pos < end:
        if not content[pos:].strip():
            return  # trailing blank lines
        start = _RECORD_START.match(content, pos)
        where = base if in_member else base + pos
        if start is None:
            nxt = _RECORD_START.search(content, pos + 1)
            stop = nxt.start() if nxt else end
            reason = f"not a WARC record at offset {where} (starts {_preview(content[pos : pos + 24])!r})"
            yield Unreadable(where, stop - pos, reason)
            pos = stop
            continue
        header_end = _HEADER_END.search(content, pos)
        length = _CONTENT_LENGTH.search(content, pos, header_end.start() if header_end else end)
        if header_end is None or length is None:
            yield Unreadable(where, end - pos, f"WARC record at offset {where} has no complete header block")
            return
        block_end = header_end.end() + int(length.group(1))
        if block_end > end:
            yield Unreadable(
                where,
                end - pos,
                f"WARC record at offset {where} declares Content-Length {int(length.group(1))} but only "
                f"{end - header_end.end()} bytes follow (truncated)",
            )
            return
        tail = content[block_end : block_end + 4]
        if not tail.startswith(b"\r\n\r\n") and not tail.startswith(b"\n\n") and block_end != end:
            nxt = _RECORD_START.search(content, block_end)
            stop = nxt.start() if nxt else end
            yield Unreadable(
                where, stop - pos, f"WARC record at offset {where}: its Content-Length does not end at the separator"
            )
            pos = stop
            continue
        sep = 4 if tail.startswith(b"\r\n\r\n") else (2 if tail.startswith(b"\n\n") else 0)
        yield RawRecord(where, content[pos : block_end + sep])
        pos = block_end + sep


_FEED = 256 * 1024  # compressed bytes handed to zlib at a time: what is left over is copied, so keep it small


def _inflate_member(data: bytes, pos: int) -> tuple[bytes, int, bool]:
    """The gzip member at `pos`: its content, how many compressed bytes it took and whether it ended.

    Fed in slices of a memoryview: giving zlib `data[pos:]` copies the rest of the file for every member
    (and `unused_data` copies it again), which made a 5,000-page drop take minutes instead of a second."""
    member, view, parts, fed = zlib.decompressobj(wbits=31), memoryview(data), [], pos
    while not member.eof and fed < len(data):
        chunk = view[fed : fed + _FEED]
        parts.append(member.decompress(chunk))
        fed += len(chunk)
    return b"".join(parts), fed - pos - len(member.unused_data), member.eof


def _gzip_members(data: bytes) -> Iterator[RawRecord | Unreadable]:
    pos, end = 0, len(data)
    while pos < end:
        if not data.startswith(GZIP_MAGIC, pos):
            nxt = data.find(GZIP_MAGIC, pos + 1)
            if nxt == -1 and not data[pos:].strip(b"\x00 \r\n"):
                return  # padding at the end of the file
            stop = nxt if nxt != -1 else end
            yield Unreadable(
                pos, stop - pos, f"bytes at offset {pos} are not a gzip member ({_preview(data[pos : pos + 24])!r})"
            )
            pos = stop
            continue
        try:
            content, consumed, ended = _inflate_member(data, pos)
        except zlib.error as exc:
            nxt = data.find(GZIP_MAGIC, pos + 1)
            stop = nxt if nxt != -1 else end
            yield Unreadable(pos, stop - pos, f"corrupt gzip member at offset {pos}: {exc}")
            pos = stop
            continue
        if not ended:
            yield Unreadable(pos, end - pos, f"gzip member at offset {pos} is cut short (the file is truncated)")
            return
        yield from _records_in(content, pos, in_member=True)
        pos += consumed


def split_warc(data: bytes) -> Iterator[RawRecord | Unreadable]:
    """Every record of a WARC file (gzipped per record, gzipped whole, or plain), and every unreadable range."""
    if not data:
        yield Unreadable(0, 0, "the WARC file is empty (0 bytes)")
        return
    if data.startswith(GZIP_MAGIC):
        yield from _gzip_members(data)
    else:
        yield from _records_in(data, 0, in_member=False)
