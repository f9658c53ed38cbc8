"""Personal access tokens against a real Label Studio server (`scripts/label-studio.sh`, 1.23.2 by default).

The admin's legacy token (the server starts with legacy tokens enabled) asks for a personal access token at
`POST /api/token/`; a client holding only that JWT then works through the refresh flow, and the review
loop's resource uses it unchanged."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fakes.label_studio_server import LabelStudioServer

from dagster_project.lib.datasets import DATASETS
from dagster_project.resources.label_studio import LabelStudioResource
from gleaner.labeling.label_studio import LabelStudioClient, LabelStudioError
from gleaner.labeling.label_studio.api import is_personal_access_token

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(label_studio_server: LabelStudioServer) -> LabelStudioServer:
    return label_studio_server


@pytest.fixture(scope="module")
def personal_token(label_studio_server: LabelStudioServer) -> str:
    return LabelStudioClient(label_studio_server.url, label_studio_server.token).create_personal_access_token()


def test_a_personal_access_token_works_against_the_real_server(server: LabelStudioServer, personal_token: str):
    assert is_personal_access_token(personal_token)
    client = LabelStudioClient(server.url, personal_token)
    title = f"pat {uuid.uuid4().hex[:8]}"
    project = client.ensure_project(title, '<View><Text name="text" value="$text"/></View>')
    assert client.find_project(title)["id"] == project
    assert client._access is not None and client._access != personal_token  # a Bearer access token

    client._access = "not.an.access-token"  # as if it expired: the client exchanges the PAT again
    assert client.find_project(title)["id"] == project

    spec = DATASETS["review_sentiment"]
    studio = LabelStudioResource(url=server.url, api_key=personal_token, project_title=title)
    pushed = studio.push([{"data": {"record_id": "r1", "text": "Fine kettle"}}], spec)
    assert pushed["created"] == ["r1"] and studio.pull(spec) == []  # nothing annotated yet


def test_a_revoked_or_forged_personal_access_token_is_refused(server: LabelStudioServer, personal_token: str):
    head, body, signature = personal_token.split(".")
    forged = f"{head}.{body}.{signature[::-1]}"
    with pytest.raises(LabelStudioError, match="personal access token was refused"):
        LabelStudioClient(server.url, forged, attempts=1).find_project("anything")


def test_the_legacy_token_still_works(server: LabelStudioServer, tmp_path: Path):
    assert LabelStudioClient(server.url, server.token).find_project(f"none {uuid.uuid4().hex}") is None
