"""The code location: everything under `defs/` (assets with their checks, jobs, schedules, sensors), loaded
the `dg` way, merged with the resources for the environment.

`GLEANER_ENV` picks the resources (`local`, or `prod`, which requires S3 and the servers);
`GLEANER_WAREHOUSE` puts the warehouse in a folder (default `.gleaner/warehouse`) or on S3
(`s3://bucket/prefix`, docs/storage.md).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from dagster_project.resources.environments import resources_for_env

defs = dg.Definitions.merge(
    dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
    dg.Definitions(resources=resources_for_env()),
)
