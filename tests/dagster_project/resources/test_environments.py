"""`GLEANER_ENV`: local falls back to files and demo samples; prod refuses to load without what it needs."""

import pytest

from dagster_project.resources.drops import S3DropsResource
from dagster_project.resources.environments import PROD_REQUIRED, resources_for_env
from dagster_project.resources.warehouse import S3WarehouseResource

PROD = {
    "GLEANER_WAREHOUSE": "s3://gleaner-prod/warehouse",
    "GLEANER_DROPS_S3": "s3://gleaner-prod/drops",
    "ANTHROPIC_API_KEY": "sk-ant-not-a-real-key",
    "LABEL_STUDIO_URL": "http://label-studio.internal:8080",
    "LABEL_STUDIO_API_KEY": "not-a-real-token",
}


@pytest.fixture
def prod_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in PROD.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GLEANER_HUMAN_LABEL_EXPORTS", raising=False)
    return monkeypatch


def test_prod_names_every_missing_variable_at_load_time(prod_env: pytest.MonkeyPatch):
    for name in ("ANTHROPIC_API_KEY", "LABEL_STUDIO_URL"):
        prod_env.delenv(name)
    prod_env.setenv("GLEANER_WAREHOUSE", ".gleaner/warehouse")
    with pytest.raises(ValueError) as raised:
        resources_for_env("prod")
    message = str(raised.value)
    assert "ANTHROPIC_API_KEY (the LLM labeler's key)" in message and "LABEL_STUDIO_URL" in message
    assert "GLEANER_WAREHOUSE='.gleaner/warehouse' is not an s3:// URL" in message
    assert "sk-ant" not in message  # names, never values


def test_prod_runs_on_s3_with_the_servers_and_never_the_demo_sample(prod_env: pytest.MonkeyPatch):
    assert set(PROD) == set(PROD_REQUIRED)
    resources = resources_for_env("prod")
    assert isinstance(resources["warehouse"], S3WarehouseResource)
    assert isinstance(resources["drops"], S3DropsResource)
    assert resources["llm"].enabled
    assert resources["label_studio"].configured and resources["label_studio"].export_paths == []


def test_an_unknown_environment_is_refused():
    with pytest.raises(ValueError, match="GLEANER_ENV='staging': expected 'local' or 'prod'"):
        resources_for_env("staging")
