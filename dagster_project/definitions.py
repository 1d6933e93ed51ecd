"""The xxgk code location."""

import dagster as dg

from dagster_project.assets import ingest, staging
from dagster_project.checks import files
from dagster_project.jobs import ingest_job
from dagster_project.resources import XxgkData
from dagster_project.schedules import latest_year_daily
from dagster_project.sensors import raw_files_sensor

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([ingest, staging]),
    asset_checks=dg.load_asset_checks_from_modules([files]),
    jobs=[ingest_job],
    schedules=[latest_year_daily],
    sensors=[raw_files_sensor],
    resources={"xxgk": XxgkData()},
)
