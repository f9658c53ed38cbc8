"""Resources per deployment environment, chosen by `GLEANER_ENV`."""

from __future__ import annotations

import os

import dagster as dg

from resources.browser import BrowserResource
from resources.label_studio import BUNDLED_SAMPLE, LabelStudioResource
from resources.llm import LLMLabelerResource
from resources.policy import PolicyResource
from resources.warehouse import WarehouseResource, default_root


def _llm() -> LLMLabelerResource:
    # Without a key the labeler is off; EnvVar keeps the key itself out of config and run storage.
    if os.environ.get("ANTHROPIC_API_KEY"):
        return LLMLabelerResource(api_key=dg.EnvVar("ANTHROPIC_API_KEY"))
    return LLMLabelerResource()


def resources_for_env(env: str | None = None) -> dict[str, object]:
    env = env or os.environ.get("GLEANER_ENV", "local")
    if env != "local":
        raise ValueError(f"GLEANER_ENV={env!r}: only 'local' is available in this build")
    exports = os.environ.get("GLEANER_HUMAN_LABEL_EXPORTS")
    return {
        "warehouse": WarehouseResource(root=default_root()),
        "browser": BrowserResource(),
        "llm": _llm(),
        "label_studio": LabelStudioResource(
            export_paths=exports.split(os.pathsep) if exports else [str(BUNDLED_SAMPLE)]
        ),
        "policy": PolicyResource(),
    }
