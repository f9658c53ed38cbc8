"""A small client for the parts of Label Studio's REST API the review loop needs, on the standard library.

Why not label-studio-sdk: its pins move with the server's, and we use five endpoints. Why these rules:
- Tasks carry our `record_id` in `data`, and existing ones are looked up before importing, so pushing the
  same review queue twice never duplicates work for annotators.
- Annotations come back through the project export endpoint, whose format is exactly the JSON export file
  air-gapped teams hand us, so both go through `parse_export`.
- A server that is down or slow raises `LabelStudioUnavailable` after bounded retries; a server that refuses
  (bad token, bad request) raises `LabelStudioError` at once, since retrying cannot help.
- Two kinds of token. A personal access token (Label Studio 1.17+, and the only kind new organisations
  allow) is a JWT refresh token: it is exchanged at `POST /api/token/refresh/` for a short-lived access
  token sent as `Authorization: Bearer`, and exchanged again when the server answers 401 (expired). A
  legacy token (anything that is not three base64url segments) is sent as `Authorization: Token`.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

RETRY_STATUS = {429, 502, 503, 504}
PAGE_SIZE = 500
REFRESH_PATH = "/api/token/refresh/"
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")


def is_personal_access_token(token: str) -> bool:
    """A JWT (three base64url segments) rather than a legacy 40-character key."""
    return bool(_JWT.match(token.strip()))


class LabelStudioError(RuntimeError):
    """Label Studio answered, but not with what we asked for."""


class LabelStudioUnavailable(LabelStudioError):
    """Label Studio did not answer (down, unreachable or too slow) within the retry budget."""


@dataclass
class LabelStudioClient:
    url: str
    token: str
    timeout: float = 10.0
    attempts: int = 3
    backoff: float = 1.0  # seconds before the second attempt, doubled each time after
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    _access: str | None = field(default=None, init=False, repr=False)

    @property
    def personal(self) -> bool:
        return is_personal_access_token(self.token)

    def _authorization(self) -> str:
        if not self.personal:
            return f"Token {self.token}"
        if self._access is None:
            answer = self._request("POST", REFRESH_PATH, body={"refresh": self.token.strip()}, auth=False)
            if not isinstance(answer, dict) or not answer.get("access"):
                raise LabelStudioError("Label Studio gave no access token for the personal access token")
            self._access = str(answer["access"])
        return f"Bearer {self._access}"

    def _request(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None, *, auth: bool = True
    ) -> Any:
        url = self.url.rstrip("/") + path
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if auth:
            headers["Authorization"] = self._authorization()
        if data is not None:
            headers["Content-Type"] = "application/json"
        last: str = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                return json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode(errors="replace")[:500]
                if exc.code == 401 and auth and self.personal and self._access is not None:
                    self._access = None  # the access token expired: exchange the personal token again, once
                    headers["Authorization"] = self._authorization()
                    request = urllib.request.Request(url, data=data, headers=headers, method=method)
                    return self._send(request, method, path)
                if exc.code == 401 and path == REFRESH_PATH:
                    detail = "the personal access token was refused (revoked, expired or from another server)"
                if exc.code not in RETRY_STATUS and exc.code < 500:
                    raise LabelStudioError(f"Label Studio {method} {path} answered {exc.code}: {detail}") from exc
                last = f"HTTP {exc.code}: {detail}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = str(getattr(exc, "reason", exc)) or type(exc).__name__
        raise LabelStudioUnavailable(
            f"Label Studio at {self.url} did not answer {method} {path} after {self.attempts} attempts "
            f"(timeout {self.timeout:g}s each); last error: {last}. Is the server running "
            "(scripts/label-studio.sh)?"
        )

    def _send(self, request: urllib.request.Request, method: str, path: str) -> Any:
        """One attempt with fresh credentials; a refusal now is final."""
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise LabelStudioError(f"Label Studio {method} {path} answered {exc.code}: {detail}") from exc
        return json.loads(raw) if raw else None

    def create_personal_access_token(self) -> str:
        """A personal access token for the authenticated user (`POST /api/token/`); the server allows one."""
        answer = self._request("POST", "/api/token/", body={})
        if not isinstance(answer, dict) or not answer.get("token"):
            raise LabelStudioError("Label Studio did not return a personal access token")
        return str(answer["token"])

    def health(self) -> bool:
        """True once the server is up and migrated; never raises."""
        try:
            answer = LabelStudioClient(self.url, self.token, timeout=self.timeout, attempts=1)._request(
                "GET", "/health", auth=False
            )
        except LabelStudioError:
            return False
        return isinstance(answer, dict) and answer.get("status") == "UP"

    def find_project(self, title: str) -> dict[str, Any] | None:
        page = 1
        while True:
            answer = self._request("GET", "/api/projects", params={"page": page, "page_size": 100})
            results = answer.get("results", []) if isinstance(answer, dict) else answer
            for project in results:
                if project.get("title") == title:
                    return project
            if not isinstance(answer, dict) or not answer.get("next"):
                return None
            page += 1

    def ensure_project(self, title: str, label_config: str) -> int:
        """The project's id, creating it with the labeling config on first use."""
        project = self.find_project(title)
        if project is None:
            project = self._request(
                "POST",
                "/api/projects",
                body={
                    "title": title,
                    "label_config": label_config,
                    "description": "Gleaner review queue: records the machine labels could not settle.",
                },
            )
        return int(project["id"])

    def tasks(self, project_id: int) -> Iterable[dict[str, Any]]:
        """Every task of the project (data only), page by page."""
        page = 1
        while True:
            try:
                answer = self._request(
                    "GET",
                    "/api/tasks",
                    params={"project": project_id, "page": page, "page_size": PAGE_SIZE, "fields": "task_only"},
                )
            except LabelStudioError as exc:
                if "answered 404" in str(exc) and page > 1:  # past the last page
                    return
                raise
            batch = answer.get("tasks", []) if isinstance(answer, dict) else answer
            yield from batch
            if len(batch) < PAGE_SIZE:
                return
            page += 1

    def task_ids_by_record(self, project_id: int) -> dict[str, int]:
        return {
            task["data"]["record_id"]: int(task["id"])
            for task in self.tasks(project_id)
            if (task.get("data") or {}).get("record_id")
        }

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> int:
        if not tasks:
            return 0
        answer = self._request("POST", f"/api/projects/{project_id}/import", body=tasks)
        return int((answer or {}).get("task_count", len(tasks)))

    def push_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
        """Import the tasks whose record is not in the project yet: (record ids created, already there)."""
        existing = self.task_ids_by_record(project_id)
        new = [t for t in tasks if t["data"]["record_id"] not in existing]
        self.import_tasks(project_id, new)
        created = [t["data"]["record_id"] for t in new]
        return created, [t["data"]["record_id"] for t in tasks if t["data"]["record_id"] in existing]

    def export(self, project_id: int) -> list[dict[str, Any]]:
        """Annotated tasks in Label Studio's JSON export format (the same as an export file)."""
        answer = self._request(
            "GET", f"/api/projects/{project_id}/export", params={"exportType": "JSON", "download_all_tasks": "false"}
        )
        if not isinstance(answer, list):
            raise LabelStudioError(f"Label Studio export of project {project_id} is not a list of tasks")
        return answer

    def annotate(
        self,
        task_id: int,
        result: list[dict[str, Any]],
        completed_by: int | None = None,
        lead_time: float | None = None,
    ) -> dict[str, Any]:
        """Submit an annotation as the labeling UI does; an admin may name another user as its author. The UI
        sends `lead_time` (seconds on the task); without it Label Studio stores null and velocity skips it."""
        body: dict[str, Any] = {"result": result}
        if completed_by is not None:
            body["completed_by"] = completed_by
        if lead_time is not None:
            body["lead_time"] = lead_time
        return self._request("POST", f"/api/tasks/{task_id}/annotations", body=body)
