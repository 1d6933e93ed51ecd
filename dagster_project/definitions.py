"""The xxgk code location."""

import dagster as dg
from dagster_dbt import DbtCliResource

from dagster_project.assets import all_assets, dbt
from dagster_project.checks import expectations, files
from dagster_project.jobs import ingest_job, warehouse_job
from dagster_project.paths import BIN_DIR
from dagster_project.resources import XxgkData
from dagster_project.schedules import latest_year_daily
from dagster_project.sensors import raw_files_sensor, warehouse_after_ingest

defs = dg.Definitions(
    assets=all_assets(),
    asset_checks=dg.load_asset_checks_from_modules([files, expectations]),
    jobs=[ingest_job, warehouse_job],
    schedules=[latest_year_daily],
    sensors=[raw_files_sensor, warehouse_after_ingest],
    resources={
        "xxgk": XxgkData(),
        # The dbt of this environment, whether or not its bin/ is on PATH.
        "dbt": DbtCliResource(project_dir=dbt.dbt_project, dbt_executable=str(BIN_DIR / "dbt")),
    },
)
