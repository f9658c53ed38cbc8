"""The code location: everything under `defs/` (assets with their checks, jobs, schedules, sensors), loaded
the `dg` way, merged with the resources for the environment.

`GLEANER_ENV` picks the resources (`local`, or `prod`, which requires S3 and the servers);
`GLEANER_WAREHOUSE` puts the warehouse in a folder (default `.gleaner/warehouse`) or on S3
(`s3://bucket/prefix`, docs/storage.md).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import dagster as dg

from dagster_project.lib.garbage import collect_garbage_in_bulk
from dagster_project.resources.environments import resources_for_env


def _defs_folder() -> dg.Definitions:
    """`dg.load_from_defs_folder`'s definitions without its root's enrichment: at the root it also imports
    every installed Dagster library's components (dagster_aws's among them) to list them as metadata for
    the `dg` tools, about 1.2 s of every command's start for a list this project never reads."""
    with warnings.catch_warnings():  # `load_from_defs_folder` silences the same preview warnings
        warnings.simplefilter("ignore", dg.PreviewWarning)
        tree = dg.ComponentTree.for_project(path_within_project=Path(__file__).parent)
        return tree.build_defs(Path(__file__).parent / "defs")


defs = dg.Definitions.merge(_defs_folder(), dg.Definitions(resources=resources_for_env()))
collect_garbage_in_bulk()  # every process that loads the code location runs its steps with fewer full collections
