"""Serve a `DemoSite` on loopback, and count what was asked for.

The hit counter is the point for tests: politeness is proven by what the server saw (robots-disallowed
paths never requested, each product fetched once, how many requests were in flight at once and how far
apart they started), not by what the crawler says it did. ``latency`` delays every response, as a real
site across a network would; the benchmark uses it, the default site is served without it.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from gleaner.demo_site.generator import DemoPage, DemoSite, build_site


class _Handler(BaseHTTPRequestHandler):
    server: _DemoHTTPServer
    protocol_version = "HTTP/1.1"

    def _respond(self, with_body: bool) -> None:
        demo = self.server.demo
        demo.enter()
        try:
            self._send(demo.record_and_resolve(self.path), with_body)
        finally:
            demo.leave()

    def _send(self, page: DemoPage, with_body: bool) -> None:
        headers = {"Content-Type": page.content_type, "Content-Length": str(len(page.body)), **page.headers}
        self.send_response(page.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(page.body)

    def do_GET(self) -> None:
        self._respond(with_body=True)

    def do_HEAD(self) -> None:
        self._respond(with_body=False)

    def log_message(self, format: str, *args: object) -> None:  # quiet by design
        return


class _DemoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], demo: DemoSiteServer) -> None:
        self.demo = demo
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client hung up mid-response (a closed tab, a timeout): its business, not an error here
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class DemoSiteServer:
    """A background HTTP server for a demo site; ``hits`` counts request targets (path plus query)."""

    def __init__(
        self, site: DemoSite | None = None, host: str = "127.0.0.1", port: int = 0, *, latency: float = 0.0
    ) -> None:
        self.site = site or build_site()
        self.host, self.port = host, port
        self.latency = latency
        self.hits: Counter[str] = Counter()
        self.started: list[tuple[float, str]] = []  # (monotonic time, target) of every request, in order
        self.in_flight = self.peak_in_flight = 0
        self._served: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._httpd: _DemoHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server is not running")
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        if self.latency:
            time.sleep(self.latency)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def record_and_resolve(self, target: str) -> DemoPage:
        """Count the hit and pick the response, including the flaky pages' leading 503s."""
        path = target.split("#", 1)[0]
        with self._lock:
            self.hits[path] += 1
            self.started.append((time.monotonic(), path))
            key = self.site.resolve_key(path)
            if key is None:
                return self.site.not_found
            if self._served[key] < self.site.flaky.get(key, 0):
                self._served[key] += 1
                return DemoPage(
                    503,
                    "text/html; charset=utf-8",
                    b"<h1>Busy, try again shortly</h1>\n",
                    {"Retry-After": "1"},
                )
        return self.site.pages[key]

    def reset(self) -> None:
        """Forget hits and re-arm flaky pages, as if the server had just started."""
        with self._lock:
            self.hits.clear()
            self.started.clear()
            self._served.clear()
            self.peak_in_flight = self.in_flight

    def start(self) -> DemoSiteServer:
        if self._httpd is not None:
            return self
        self._httpd = _DemoHTTPServer((self.host, self.port), self)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="demo-site", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd, self._thread = None, None

    def serve_forever(self) -> None:
        """Foreground serving for ``python -m gleaner.demo_site``; Ctrl-C stops it."""
        self._httpd = _DemoHTTPServer((self.host, self.port), self)
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> DemoSiteServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
