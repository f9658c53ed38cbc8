"""Resources per deployment environment, chosen by `GLEANER_ENV`."""

from __future__ import annotations

import os

import dagster as dg

from resources.browser import BrowserResource
from resources.drops import drops_from_env
from resources.label_studio import BUNDLED_SAMPLE, LabelStudioResource
from resources.llm import LLMLabelerResource
from resources.policy import PolicyResource
from resources.warehouse import warehouse_from_env


def _llm() -> LLMLabelerResource:
    # Without a key the labeler is off; EnvVar keeps the key itself out of config and run storage.
    if os.environ.get("ANTHROPIC_API_KEY"):
        return LLMLabelerResource(api_key=dg.EnvVar("ANTHROPIC_API_KEY"))
    return LLMLabelerResource()


def _label_studio(exports: str | None) -> LabelStudioResource:
    # With a server, human labels come from it (plus any export files named); without, from files only.
    if os.environ.get("LABEL_STUDIO_URL"):
        return LabelStudioResource(
            export_paths=exports.split(os.pathsep) if exports else [],
            url=dg.EnvVar("LABEL_STUDIO_URL"),
            api_key=dg.EnvVar("LABEL_STUDIO_API_KEY"),
        )
    return LabelStudioResource(export_paths=exports.split(os.pathsep) if exports else [str(BUNDLED_SAMPLE)])


def resources_for_env(env: str | None = None) -> dict[str, object]:
    env = env or os.environ.get("GLEANER_ENV", "local")
    if env != "local":
        raise ValueError(f"GLEANER_ENV={env!r}: only 'local' is available in this build")
    exports = os.environ.get("GLEANER_HUMAN_LABEL_EXPORTS")
    return {
        "warehouse": warehouse_from_env(),
        "browser": BrowserResource(),
        "drops": drops_from_env(),
        "llm": _llm(),
        "label_studio": _label_studio(exports),
        "policy": PolicyResource(),
    }
