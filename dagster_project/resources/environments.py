"""Resources per deployment environment, chosen by `GLEANER_ENV`."""

from __future__ import annotations

import os

import dagster as dg

from dagster_project.resources.browser import BrowserResource
from dagster_project.resources.drops import drops_from_env
from dagster_project.resources.label_studio import BUNDLED_EXPORTS, LabelStudioResource
from dagster_project.resources.llm import LLMLabelerResource
from dagster_project.resources.policy import PolicyResource
from dagster_project.resources.warehouse import warehouse_from_env


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
    return LabelStudioResource(export_paths=exports.split(os.pathsep) if exports else BUNDLED_EXPORTS)


# What a production deployment must say about itself. `local` falls back to a folder warehouse, the bundled
# demo annotations and no LLM; in `prod` each of those fallbacks would be a silent mistake (a dataset
# labelled by a demo sample, a warehouse on one container's disk), so a missing variable stops the load.
PROD_REQUIRED = {
    "GLEANER_WAREHOUSE": "s3://bucket/prefix of the warehouse",
    "GLEANER_DROPS_S3": "s3://bucket/prefix where scrape drops land",
    "ANTHROPIC_API_KEY": "the LLM labeler's key",
    "LABEL_STUDIO_URL": "the Label Studio server for human review",
    "LABEL_STUDIO_API_KEY": "its API token",
}


def check_prod_environment() -> None:
    problems = [f"{name} ({what})" for name, what in PROD_REQUIRED.items() if not os.environ.get(name)]
    warehouse = os.environ.get("GLEANER_WAREHOUSE", "")
    if warehouse and not warehouse.startswith("s3://"):
        problems.append(f"GLEANER_WAREHOUSE={warehouse!r} is not an s3:// URL")
    if problems:
        raise ValueError("GLEANER_ENV=prod needs: " + "; ".join(problems))


def resources_for_env(env: str | None = None) -> dict[str, object]:
    env = env or os.environ.get("GLEANER_ENV", "local")
    if env not in ("local", "prod"):
        raise ValueError(f"GLEANER_ENV={env!r}: expected 'local' or 'prod'")
    exports = os.environ.get("GLEANER_HUMAN_LABEL_EXPORTS")
    if env == "prod":
        check_prod_environment()
        label_studio = LabelStudioResource(  # never the bundled demo sample
            export_paths=exports.split(os.pathsep) if exports else [],
            url=dg.EnvVar("LABEL_STUDIO_URL"),
            api_key=dg.EnvVar("LABEL_STUDIO_API_KEY"),
        )
    else:
        label_studio = _label_studio(exports)
    return {
        "warehouse": warehouse_from_env(),
        "browser": BrowserResource(),
        "drops": drops_from_env(),
        "llm": _llm(),
        "label_studio": label_studio,
        "policy": PolicyResource(),
    }
