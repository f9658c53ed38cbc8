"""A local HTTP server that speaks enough of the Anthropic Messages API to exercise the real SDK.

The labeler is tested through `anthropic.Anthropic` itself (retries, timeouts, error classes, response
parsing), so the stand-in answers on the wire exactly as the API does: same JSON shapes, same status codes,
same `retry-after` headers. Each HTTP attempt consumes one scripted reply, which is how a test says "429,
then success" and then counts what the SDK actually sent.

It mirrors two validation rules of API version 2026-10-21 that a client can silently break: a request must
carry the key as `Authorization: Bearer` (or `x-api-key`), and sampling parameters (`temperature`, `top_p`,
`top_k`) are rejected with a 400.

Token counts are rough but shaped like the API's (about four characters a token): the tools and system
prompt are the prefix, the user text the rest. A request whose system prompt carries `cache_control` and
whose prefix reaches `min_cache_tokens` (4,096 for Claude Haiku 4.5) writes the prefix to the prompt cache
the first time (`cache_creation_input_tokens`) and reads it afterwards (`cache_read_input_tokens`); then
`input_tokens` counts only the uncached rest, as the API does. `answer_with` scripts replies by text, for
benchmarks that answer thousands of records from gold labels.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

POSITIVE_WORDS = ("great", "love", "excellent", "perfect", "amazing")
NEGATIVE_WORDS = ("terrible", "broken", "refund", "awful", "worst")
SAMPLING_PARAMS = ("temperature", "top_p", "top_k")


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP answer. Build them with the helper functions below rather than directly."""

    kind: str
    label: str | None = None
    confidence: float = 0.97
    reason: str = "scripted"
    tool_input: Any = None
    retry_after: str | None = None
    delay: float = 0.0
    text: str = ""


def ok(label: str | None = None, confidence: float = 0.97, reason: str = "keyword match") -> Reply:
    """A forced `tool_use` answer; `label=None` derives the label from keywords in the text."""
    return Reply("ok", label=label, confidence=confidence, reason=reason)


def rate_limited(retry_after: str | None = "0.01") -> Reply:
    return Reply("rate_limited", retry_after=retry_after)


def overloaded(retry_after: str | None = "0.01") -> Reply:
    return Reply("overloaded", retry_after=retry_after)


def server_error(retry_after: str | None = "0.01") -> Reply:
    return Reply("server_error", retry_after=retry_after)


def slow(seconds: float) -> Reply:
    """Holds the response back long enough for the client's timeout to fire."""
    return Reply("ok", delay=seconds)


def bad_request(message: str) -> Reply:
    """A 400 invalid_request_error; `{authorization}` in `message` echoes the received auth header back,
    the way a misconfigured proxy might."""
    return Reply("bad_request", text=message)


def malformed_json() -> Reply:
    return Reply("malformed_json")


def refusal() -> Reply:
    return Reply("refusal")


def text_block(text: str = "I think this review is positive.") -> Reply:
    return Reply("text_block", text=text)


def entities(*found: tuple[str, str], confidence: float = 0.95) -> Reply:
    """A span tool answer: each `(quote, label)` at its first occurrence in the user text, offsets counted
    by the stand-in (a quote the text lacks gets offsets -1, -1: an answer the labeler must reject)."""
    return Reply("entities", confidence=confidence, tool_input=list(found))


def bad_tool_input(tool_input: Any) -> Reply:
    return Reply("bad_tool_input", tool_input=tool_input)


def keyword_label(text: str) -> str:
    lowered = text.lower()
    positive = sum(lowered.count(word) for word in POSITIVE_WORDS)
    negative = sum(lowered.count(word) for word in NEGATIVE_WORDS)
    return "negative" if negative > positive else "positive"


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    body: Any

    def user_text(self) -> str:
        return _user_text(self.body) if isinstance(self.body, dict) else ""


@dataclass
class _Rule:
    needle: str
    replies: list[Reply]
    then: Reply | None


@dataclass
class _Batch:
    id: str
    requests: list[dict[str, Any]]
    created_at: datetime
    polls_left: int
    results: list[dict[str, Any]] = field(default_factory=list)
    canceled: bool = False


def _user_text(body: dict[str, Any]) -> str:
    parts: list[str] = []
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(block.get("text", "") for block in content if isinstance(block, dict))
    return "\n".join(parts)


class AnthropicStandIn:
    """Start with `with AnthropicStandIn(api_key) as api:`; point the SDK at `api.base_url`."""

    def __init__(self, api_key: str, *, batch_polls_before_end: int = 1, min_cache_tokens: int = 4096) -> None:
        self.api_key = api_key
        self.batch_polls_before_end = batch_polls_before_end
        self.min_cache_tokens = min_cache_tokens
        self._prompt_cache: set[str] = set()
        self._answerer: Callable[[str], Reply | None] | None = None
        self.requests: list[RecordedRequest] = []
        self._rules: list[_Rule] = []
        self._default = ok()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._batches: dict[str, _Batch] = {}
        self._stopping = threading.Event()
        self._in_flight = 0
        self.max_in_flight = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------------

    def __enter__(self) -> AnthropicStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting ---------------------------------------------------------------------------------------

    def on(self, needle: str, *replies: Reply, then: Reply | None = None) -> None:
        """Requests whose user text contains `needle` get `replies` in order, then `then` forever.

        Without `then`, an exhausted rule falls through to later rules and finally to the default reply.
        An empty needle matches every request.
        """
        with self._lock:
            self._rules.append(_Rule(needle, list(replies), then))

    def set_default(self, reply: Reply) -> None:
        with self._lock:
            self._default = reply

    def answer_with(self, answerer: Callable[[str], Reply | None]) -> None:
        """Ask `answerer(user text)` after the `on` rules and before the default; None falls through."""
        with self._lock:
            self._answerer = answerer

    def _next_reply(self, text: str) -> Reply:
        answerer = self._answerer
        with self._lock:
            for rule in self._rules:
                if rule.needle not in text:
                    continue
                if rule.replies:
                    return rule.replies.pop(0)
                if rule.then is not None:
                    return rule.then
        reply = answerer(text) if answerer is not None else None
        return reply or self._default

    # -- inspection -----------------------------------------------------------------------------------

    def message_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path == "/v1/messages"]

    def everything_received(self) -> str:
        """Every header and body byte the server saw, for asserting what never left the machine."""
        with self._lock:
            chunks = []
            for r in self.requests:
                chunks.append(json.dumps(r.headers))
                chunks.append(r.raw_body.decode("utf-8", "replace"))
            return "\n".join(chunks)

    # -- protocol ---------------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                return

            def do_POST(self) -> None:
                standin._dispatch(self)

            def do_GET(self) -> None:
                standin._dispatch(self)

        return Handler

    def _record(self, handler: BaseHTTPRequestHandler) -> RecordedRequest:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        recorded = RecordedRequest(handler.command, handler.path, dict(handler.headers.items()), raw, body)
        with self._lock:
            self.requests.append(recorded)
        return recorded

    def _authorized(self, request: RecordedRequest) -> bool:
        headers = {k.lower(): v for k, v in request.headers.items()}
        return headers.get("authorization") == f"Bearer {self.api_key}" or headers.get("x-api-key") == self.api_key

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        request = self._record(handler)
        if not self._authorized(request):
            _send_error(handler, 401, "authentication_error", "invalid x-api-key")
            return
        path = request.path.split("?", 1)[0]
        if request.method == "POST" and path == "/v1/messages":
            self._messages(handler, request)
        elif request.method == "POST" and path == "/v1/messages/batches":
            self._create_batch(handler, request)
        elif (m := re.fullmatch(r"/v1/messages/batches/([\w-]+)/results", path)) and request.method == "GET":
            self._batch_results(handler, m.group(1))
        elif (m := re.fullmatch(r"/v1/messages/batches/([\w-]+)/cancel", path)) and request.method == "POST":
            self._cancel_batch(handler, m.group(1))
        elif (m := re.fullmatch(r"/v1/messages/batches/([\w-]+)", path)) and request.method == "GET":
            self._retrieve_batch(handler, m.group(1))
        else:
            _send_error(handler, 404, "not_found_error", f"no route for {request.method} {path}")

    def _invalid_params(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "request body must be a JSON object"
        for name in SAMPLING_PARAMS:
            if name in body:
                return f"{name}: Extra inputs are not permitted"
        for name in ("model", "max_tokens", "messages"):
            if name not in body:
                return f"{name}: Field required"
        return None

    def _messages(self, handler: BaseHTTPRequestHandler, request: RecordedRequest) -> None:
        problem = self._invalid_params(request.body)
        if problem:
            _send_error(handler, 400, "invalid_request_error", problem)
            return
        reply = self._next_reply(request.user_text())
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self._stopping.wait(reply.delay or 0.002):  # a little latency so concurrent calls overlap
                return
        finally:
            with self._lock:
                self._in_flight -= 1
        if reply.kind == "bad_request":
            auth = request.headers.get("Authorization") or request.headers.get("authorization") or ""
            _send_error(handler, 400, "invalid_request_error", reply.text.replace("{authorization}", auth))
            return
        status, payload, headers = self._render(reply, request.body)
        if payload is None:
            _send_raw(handler, 200, b'{"id": "msg_trunc", "type": "message", "content": [', {})
            return
        _send_json(handler, status, payload, headers)

    def _render(self, reply: Reply, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        """The status, JSON payload (None for a malformed body) and headers for one reply."""
        retry = {"retry-after": reply.retry_after} if reply.retry_after is not None else {}
        if reply.kind == "rate_limited":
            return (
                429,
                _error_payload("rate_limit_error", "Number of request tokens has exceeded your limit."),
                retry,
            )
        if reply.kind == "overloaded":
            return 529, _error_payload("overloaded_error", "Overloaded"), retry
        if reply.kind == "server_error":
            return 500, _error_payload("api_error", "Internal server error"), retry
        if reply.kind == "bad_request":
            return 400, _error_payload("invalid_request_error", reply.text), {}
        if reply.kind == "malformed_json":
            return 200, None, {}
        return 200, self._message(reply, body), {}

    def _message(self, reply: Reply, body: dict[str, Any]) -> dict[str, Any]:
        text = _user_text(body)
        tool_name = (body.get("tool_choice") or {}).get("name") or "record_label"
        content: list[dict[str, Any]]
        stop_details = None
        if reply.kind == "refusal":
            content, stop_reason = [], "refusal"
            stop_details = {"type": "refusal", "category": None, "explanation": "Declined by policy."}
        elif reply.kind == "text_block":
            content, stop_reason = [{"type": "text", "text": reply.text}], "end_turn"
        else:
            if reply.kind == "bad_tool_input":
                tool_input = reply.tool_input
            elif reply.kind == "entities":
                tool_input = {
                    "spans": [_span(text, q, lab) for q, lab in reply.tool_input],
                    "confidence": reply.confidence,
                }
            else:
                label = reply.label or keyword_label(text)
                tool_input = {"label": label, "confidence": reply.confidence, "reason": reply.reason}
            content = [
                {
                    "type": "tool_use",
                    "id": f"toolu_{next(self._ids):06d}",
                    "name": tool_name,
                    "input": tool_input,
                }
            ]
            stop_reason = "tool_use"
        return {
            "id": f"msg_{next(self._ids):06d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "stop_details": stop_details,
            "usage": self._usage(body, text),
        }

    def _usage(self, body: dict[str, Any], text: str) -> dict[str, int]:
        system = body.get("system") or ""
        blocks = system if isinstance(system, list) else [{"text": system}]
        prefix_text = json.dumps(body.get("tools") or []) + "".join(b.get("text", "") for b in blocks)
        prefix = len(prefix_text) // 4
        read = written = 0
        if any(b.get("cache_control") for b in blocks) and prefix >= self.min_cache_tokens:
            with self._lock:
                hit = prefix_text in self._prompt_cache
                self._prompt_cache.add(prefix_text)
            read, written, prefix = (prefix, 0, 0) if hit else (0, prefix, 0)
        return {
            "input_tokens": 10 + prefix + len(text) // 4,
            "output_tokens": 25,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": written,
        }

    # -- batches ----------------------------------------------------------------------------------------

    def _create_batch(self, handler: BaseHTTPRequestHandler, request: RecordedRequest) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        requests = body.get("requests")
        if not isinstance(requests, list) or not requests:
            _send_error(handler, 400, "invalid_request_error", "requests: must be a non-empty list")
            return
        ids = [r.get("custom_id") for r in requests]
        if len(set(ids)) != len(ids) or not all(isinstance(i, str) and re.fullmatch(r"[\w-]{1,64}", i) for i in ids):
            _send_error(handler, 400, "invalid_request_error", "custom_id must be unique and match [\\w-]{1,64}")
            return
        for item in requests:
            problem = self._invalid_params(item.get("params"))
            if problem:
                _send_error(handler, 400, "invalid_request_error", f"requests.{item['custom_id']}: {problem}")
                return
        batch = _Batch(f"msgbatch_{next(self._ids):06d}", requests, datetime.now(UTC), self.batch_polls_before_end)
        with self._lock:
            self._batches[batch.id] = batch
        _send_json(handler, 200, self._batch_json(batch))

    def _retrieve_batch(self, handler: BaseHTTPRequestHandler, batch_id: str) -> None:
        batch = self._batches.get(batch_id)
        if batch is None:
            _send_error(handler, 404, "not_found_error", "batch not found")
            return
        with self._lock:
            if batch.polls_left > 0 and not batch.canceled:
                batch.polls_left -= 1
                ended = False
            else:
                ended = True
        if ended and not batch.results:
            batch.results = [self._batch_result(item) for item in batch.requests]
        _send_json(handler, 200, self._batch_json(batch, ended=ended))

    def _cancel_batch(self, handler: BaseHTTPRequestHandler, batch_id: str) -> None:
        batch = self._batches.get(batch_id)
        if batch is None:
            _send_error(handler, 404, "not_found_error", "batch not found")
            return
        batch.canceled = True
        _send_json(handler, 200, self._batch_json(batch))

    def _batch_result(self, item: dict[str, Any]) -> dict[str, Any]:
        params = item["params"]
        if self._stopping.is_set():
            return {"custom_id": item["custom_id"], "result": {"type": "canceled"}}
        reply = self._next_reply(_user_text(params))
        status, payload, _ = self._render(reply, params)
        if status != 200 or payload is None:
            error = payload or _error_payload("api_error", "malformed result")
            return {"custom_id": item["custom_id"], "result": {"type": "errored", "error": error}}
        return {"custom_id": item["custom_id"], "result": {"type": "succeeded", "message": payload}}

    def _batch_results(self, handler: BaseHTTPRequestHandler, batch_id: str) -> None:
        batch = self._batches.get(batch_id)
        if batch is None or not batch.results:
            _send_error(handler, 404, "not_found_error", "results not available")
            return
        # The API does not promise request order; reversing makes a client that assumes it fail.
        lines = "".join(json.dumps(r) + "\n" for r in reversed(batch.results))
        _send_raw(handler, 200, lines.encode(), {"content-type": "application/binary"})

    def _batch_json(self, batch: _Batch, *, ended: bool = False) -> dict[str, Any]:
        succeeded = sum(r["result"]["type"] == "succeeded" for r in batch.results)
        errored = sum(r["result"]["type"] == "errored" for r in batch.results)
        canceled = sum(r["result"]["type"] == "canceled" for r in batch.results)
        status = "ended" if ended else ("canceling" if batch.canceled else "in_progress")
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": {
                "processing": 0 if ended else len(batch.requests),
                "succeeded": succeeded,
                "errored": errored,
                "canceled": canceled,
                "expired": 0,
            },
            "created_at": batch.created_at.isoformat(),
            "expires_at": (batch.created_at + timedelta(hours=24)).isoformat(),
            "ended_at": datetime.now(UTC).isoformat() if ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{self.base_url}/v1/messages/batches/{batch.id}/results" if ended else None,
        }


def _span(text: str, quote: str, label: str) -> dict[str, Any]:
    start = text.find(quote)
    return {"start": start, "end": start + len(quote) if start >= 0 else -1, "label": label, "text": quote}


def _error_payload(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}, "request_id": "req_standin"}


def _send_error(handler: BaseHTTPRequestHandler, status: int, error_type: str, message: str) -> None:
    _send_json(handler, status, _error_payload(error_type, message))


def _send_json(
    handler: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str] | None = None
) -> None:
    _send_raw(handler, status, json.dumps(payload).encode(), {"content-type": "application/json", **(headers or {})})


def _send_raw(handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str]) -> None:
    try:
        handler.send_response(status)
        handler.send_header("content-type", headers.pop("content-type", "application/json"))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("request-id", "req_standin")
        handler.send_header("content-length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        # The client gave up (its timeout fired); nothing left to tell it.
        pass
