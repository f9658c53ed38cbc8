"""One request, one result: fetching a page's document over plain HTTP.

Every page's document comes through here, whichever render mode the source uses: the browser only renders
a document this fetcher already got (see `gleaner.crawl.browser`). So status, headers, size limit, timeouts and
charset rules are the same in every mode, and a 3xx always reaches the crawler instead of being followed
behind its back. Fetchers know nothing about crawling policy: they never retry, sleep or follow anything.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gleaner.crawl.robots import USER_AGENT
from gleaner.pages import decode_html, is_html, media_type

DEFAULT_MAX_BODY_BYTES = 8_000_000
_CHUNK = 256 * 1024

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FetchResult:
    """What one attempt produced. ``error`` is a transport failure; HTTP errors keep their status instead.

    ``body`` holds the raw bytes of an HTML document until it is rendered (the browser is fed these very
    bytes); it is dropped before the page is stored.
    """

    url: str
    final_url: str
    fetched_at: datetime
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lowercase names
    html: str | None = None
    body: bytes | None = None
    error: str | None = None
    transient: bool = False  # a failure worth retrying
    wait_timed_out: bool = False
    renderer: str | None = None  # "http" or "browser": what produced ``html``
    notes: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def redirect_location(self) -> str | None:
        """Where a 3xx points, or None for anything that is not a redirect."""
        if self.status is None or not 300 <= self.status < 400:
            return None
        return self.headers.get("location")

    @property
    def renderable(self) -> bool:
        """An HTML document that loaded: the only kind a browser is given."""
        return self.error is None and self.html is not None and self.status is not None and self.status < 400


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None  # urllib then raises HTTPError carrying the 3xx, which is what the crawler wants


def _read_capped(response: http.client.HTTPResponse, limit: int, deadline: float) -> bytes | str:
    """At most ``limit + 1`` bytes, or an error text: a trickling server must not outlive the timeout.

    ``read1`` returns whatever has arrived; ``read(n)`` would wait for all n bytes, and a server sending a
    byte every second never lets a socket timeout fire.
    """
    read = getattr(response, "read1", response.read)
    chunks, size = [], 0
    while size <= limit:
        if time.monotonic() > deadline:
            return "timeout"
        chunk = read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class HttpFetcher:
    """urllib, no JavaScript, no redirects: the bytes the server sent, decoded by `decode_html`'s rules.

    Thread-safe (each call builds its own connection), so an event loop can run several in a thread pool.
    Cookies the site sets are kept for the fetcher's lifetime (one crawl) and sent back.
    ``timeout`` bounds the whole fetch, not just each socket read.
    """

    def __init__(self, timeout: float, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, clock: Clock = utc_now) -> None:
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.clock = clock
        # One cookie jar per fetcher, i.e. per crawl: a session or consent cookie set by one page is sent
        # with the next, as a browser would (CookieJar locks itself, so the thread pool may share it).
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(_NoRedirects(), urllib.request.HTTPCookieProcessor(self.cookies))

    def fetch(self, url: str) -> FetchResult:
        request = urllib.request.Request(
            url,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                "Accept-Language": "en",
            },
        )
        result = FetchResult(url=url, final_url=url, fetched_at=self.clock())
        deadline = time.monotonic() + self.timeout
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                result.status = response.status
                result.headers = {k.lower(): v for k, v in response.headers.items()}
                body = _read_capped(response, self.max_body_bytes, deadline)
        except urllib.error.HTTPError as exc:
            with exc:
                result.status = exc.code
                result.headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
                try:
                    body = _read_capped(exc, self.max_body_bytes, deadline)  # type: ignore[arg-type]
                except (OSError, http.client.HTTPException):
                    body = b""
        except TimeoutError:
            result.error, result.transient = "timeout", True
            return result
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                result.error, result.transient = "timeout", True
            else:
                result.error = f"connection error: {exc.reason}"
                result.transient = isinstance(exc.reason, ConnectionError)
            return result
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            result.error, result.transient = f"connection error: {type(exc).__name__}: {exc}", True
            return result
        result.fetched_at = self.clock()
        if isinstance(body, str):
            result.error, result.transient = body, True
            return result
        if len(body) > self.max_body_bytes:
            result.error = f"body larger than {self.max_body_bytes} bytes"
            return result
        _keep_body(result, body)
        return result


def _keep_body(result: FetchResult, body: bytes) -> None:
    if result.redirect_location is not None:
        return  # a redirect's body is boilerplate nobody extracts from
    if is_html(result.content_type, body):
        result.html, note = decode_html(body, result.content_type)
        result.body, result.renderer = body, "http"
        if note:
            result.notes.append(note)
    else:
        result.notes.append(f"non-HTML content ({media_type(result.content_type) or 'undeclared'}) not kept")
