"""The code location: assets, checks, jobs, schedule and sensors, with resources for the environment.

`GLEANER_ENV` picks the resources (`local`, or `prod`, which requires S3 and the servers);
`GLEANER_WAREHOUSE` puts the warehouse in a folder (default `.gleaner/warehouse`) or on S3
(`s3://bucket/prefix`, docs/storage.md).
"""

from __future__ import annotations

import dagster as dg

from assets import dataset, dedup, labels, publish, raw_pages, records
from dagster_project.jobs import ingest_partition, publish_training_data
from dagster_project.label_studio_sensor import label_studio_sensor
from dagster_project.resources import resources_for_env
from dagster_project.schedules import daily_ingest
from dagster_project.sensors import drop_sensor

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([raw_pages, records, dedup, labels, dataset, publish]),
    asset_checks=dg.load_asset_checks_from_modules([publish]),
    jobs=[ingest_partition, publish_training_data],
    schedules=[daily_ingest],
    sensors=[drop_sensor, label_studio_sensor],
    resources=resources_for_env(),
)
