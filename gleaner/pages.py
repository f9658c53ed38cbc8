"""What one fetch produced, whoever fetched it, and how its bytes became text.

`FetchedPage` is shared by the crawler and the drop reader so a page crawled here and a page dropped by an
external scraper are indistinguishable downstream. Decoding lives here for the same reason: the crawler's
http mode and the WARC reader must turn bytes into text by the same rules and say when they had to guess.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

HTML_MEDIA_TYPES = ("text/html", "application/xhtml+xml")
DROP_ERROR = "drop: "  # an error that begins so is bytes of a drop that could not be read, not a failed fetch


@dataclass(frozen=True)
class FetchedPage:
    """One URL's outcome. A failed fetch is still a page: ``error`` says why, ``html`` may be None.

    ``html`` is the rendered DOM when ``renderer`` is "browser" and the decoded body when it is "http".
    ``notes`` carries what is worth knowing but is not a failure (a wait_for that never matched, a guessed
    charset, retries).
    """

    requested_url: str
    final_url: str
    canonical_url: str
    status: int | None
    fetched_at: datetime
    content_type: str | None
    html: str | None
    error: str | None = None
    notes: tuple[str, ...] = field(default=())
    renderer: str | None = None  # "http" (served HTML) or "browser" (rendered DOM); None when no document came
    source: str = ""  # the configured source it was fetched for; set where a page meets its partition

    def __post_init__(self) -> None:
        if self.fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and self.status < 400

    @property
    def url(self) -> str:
        """The page's one spelling: what records and failures name it by."""
        return self.canonical_url

    @classmethod
    def of(cls, source: str, url: str, status: int | None, html: str | None, error: str | None, fetched_at: datetime):
        """A page known only by its canonical URL (a local file, a stored row): requested = final = canonical."""
        return cls(url, url, url, status, fetched_at, None, html, error, source=source)

    def to_row(self) -> dict[str, object]:
        """The page's columns of the `raw_pages` table (`gleaner.drops.RAW_SCHEMA`), content hash included."""
        return {
            "requested_url": self.requested_url,
            "final_url": self.final_url,
            "canonical_url": self.canonical_url,
            "status": self.status,
            "fetched_at": self.fetched_at,
            "content_type": self.content_type,
            "html": self.html,
            "content_hash": hashlib.sha256(self.html.encode()).hexdigest() if self.html else None,
            "error": self.error,
        }

    @classmethod
    def from_row(cls, row: dict[str, object], source: str) -> FetchedPage:
        """A `raw_pages` row back as the page it was stored from."""
        return cls(
            row["requested_url"], row["final_url"], row["canonical_url"], row["status"], row["fetched_at"],
            row["content_type"], row["html"], row["error"], source=source,
        )  # fmt: skip


def media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def is_html(content_type: str | None, body: bytes = b"") -> bool:
    """HTML by declaration, or (when nothing is declared) by a body that starts like markup."""
    declared = media_type(content_type)
    if declared is not None:
        return declared in HTML_MEDIA_TYPES
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--", b"<meta", b"<title"))


# Python codecs that are no charset a web page can declare: they transform text rather than decode bytes to
# it (punycode, idna, the escape codecs) or are barred by WHATWG (utf-7); a page naming one is decoded as if
# it had named none, with a note.
_NOT_PAGE_CHARSETS = frozenset(
    {"punycode", "idna", "utf-7", "unicode-escape", "raw-unicode-escape", "undefined", "mbcs", "oem"}
)


def _codec(label: str | None) -> str | None:
    """Python codec for a charset label, with the WHATWG rule that latin-1/ascii labels mean windows-1252;
    None for a label that names no text charset (unknown, or ``base64``/``rot13``-like transforms)."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().strip("\"'"))
    except (LookupError, ValueError):
        return None
    name = info.name
    if not getattr(info, "_is_text_encoding", True) or name in _NOT_PAGE_CHARSETS:
        return None
    return "cp1252" if name in ("latin-1", "iso8859-1", "ascii") else name


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str | None]:
    """Decode a body: byte-order mark, else HTTP Content-Type charset, else <meta> charset, else utf-8.

    Returns (text, note). The note is None for the routine case (a usable charset from the BOM or the
    HTTP header, decoded without errors) and otherwise says what was guessed or replaced, so a page whose
    text may be mojibake can be found later.
    """
    notes: list[str] = []
    bom_encoding, bom = read_bom(body)
    header_label = http_content_type_encoding(content_type) if content_type else None
    raw_header_label = None
    if content_type and "charset=" in content_type.lower():
        raw_header_label = content_type.lower().split("charset=", 1)[1].split(";", 1)[0].strip().strip("\"'")

    if bom_encoding:
        codec, body = _codec(bom_encoding), body[len(bom) :]
    elif header_label and _codec(header_label):
        codec = _codec(header_label)
    else:
        if raw_header_label:
            notes.append(f"unknown charset {raw_header_label!r} in Content-Type")
        meta_label = html_body_declared_encoding(body)
        codec = _codec(meta_label)
        if codec:
            notes.append(f"charset {codec} taken from <meta>")
        else:
            codec = "utf-8"
            notes.append("no usable charset declared; decoded as utf-8")
    assert codec is not None
    try:
        text = body.decode(codec)
    except (UnicodeDecodeError, UnicodeError):
        text = body.decode(codec, errors="replace")
        replaced = text.count("\ufffd") - body.decode(codec, errors="ignore").count("\ufffd")
        notes.append(f"{replaced} undecodable byte sequence(s) replaced while decoding as {codec}")
    return text, ("; ".join(notes) if notes else None)
