"""Label Studio tokens: a personal access token (JWT) is exchanged for a Bearer access token and exchanged
again on 401; a legacy token is sent as `Token`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gleaner.labeling.label_studio import LabelStudioClient, LabelStudioError
from gleaner.labeling.label_studio.api import is_personal_access_token

PAT = "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCJ9.c2lnbmF0dXJl"
LEGACY = "gleaner0test0token00000000000000000000000"


class FakeServer:
    """Answers `/api/projects` for `Token <LEGACY>` or `Bearer <current access>`; access tokens expire on demand."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.issued = 0
        self.valid_access: str | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _reply(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                server.seen.append((self.path, self.headers.get("Authorization") or ""))
                if self.path == "/api/token/refresh/" and body.get("refresh") == PAT:
                    server.issued += 1
                    server.valid_access = f"access{server.issued}"
                    return self._reply(200, {"access": server.valid_access})
                self._reply(401, {"detail": "Token is invalid"})

            def do_GET(self) -> None:
                auth = self.headers.get("Authorization") or ""
                server.seen.append((self.path, auth))
                if auth in (f"Token {LEGACY}", f"Bearer {server.valid_access}"):
                    return self._reply(200, {"results": [{"id": 7, "title": "p"}], "next": None})
                self._reply(401, {"detail": "Authentication credentials were not provided."})

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    running = FakeServer()
    yield running
    running.http.shutdown()
    running.http.server_close()


def test_a_jwt_is_a_personal_access_token_and_a_key_is_not() -> None:
    assert is_personal_access_token(PAT) and not is_personal_access_token(LEGACY)


def test_a_personal_access_token_is_exchanged_and_exchanged_again_when_it_expires(server: FakeServer) -> None:
    client = LabelStudioClient(server.url, PAT, attempts=1)
    assert client.find_project("p") == {"id": 7, "title": "p"}
    assert server.seen[:2] == [("/api/token/refresh/", ""), ("/api/projects?page=1&page_size=100", "Bearer access1")]
    client.find_project("p")
    assert server.issued == 1  # the access token is reused while it works
    server.valid_access = None  # access1 expired
    client.find_project("p")
    assert server.issued == 2 and server.seen[-1][1] == "Bearer access2"


def test_a_legacy_token_is_sent_as_token(server: FakeServer) -> None:
    assert LabelStudioClient(server.url, LEGACY, attempts=1).find_project("p") is not None
    assert server.seen == [("/api/projects?page=1&page_size=100", f"Token {LEGACY}")]


def test_a_refused_personal_access_token_says_so(server: FakeServer) -> None:
    forged = PAT[:-4] + "AAAA"
    with pytest.raises(LabelStudioError, match="personal access token was refused"):
        LabelStudioClient(server.url, forged, attempts=1).find_project("p")
