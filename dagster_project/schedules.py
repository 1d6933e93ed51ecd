"""A daily schedule that re-runs the latest reporting year, where late reports arrive."""

import dagster as dg

from dagster_project.jobs import ingest_job
from dagster_project.partitions import year_partitions


@dg.schedule(
    job=ingest_job,
    cron_schedule="0 3 * * *",
    execution_timezone="Asia/Shanghai",
    description="Daily at 03:00 Beijing time, an ingest run of the latest reporting year, where "
    "late reports arrive. Off by default: turn it on in Automation.",
)
def latest_year_daily(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """Re-run the latest reporting year every day at 03:00 Beijing time."""
    years = context.instance.get_dynamic_partitions(year_partitions.name)
    if not years:
        return dg.SkipReason("no reporting year partitions yet: the sensor or `xxgk run` adds them")
    return dg.RunRequest(partition_key=max(years))
