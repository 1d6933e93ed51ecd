"""A sensor that turns new or changed files under raw/ into runs for their years."""

import hashlib
import json

import dagster as dg

from dagster_project.jobs import ingest_job, warehouse_job
from dagster_project.partitions import year_partitions
from dagster_project.paths import DataPaths
from dagster_project.pipeline import year_file_stats
from dagster_project.resources import XxgkData


def folder_fingerprints(paths: DataPaths) -> dict[str, str]:
    """A fingerprint per year folder from its files' paths, sizes and mtimes (and the manifest's,
    which can change any year's metadata): cheap enough to run every tick."""
    manifest = paths.manifest.stat() if paths.manifest.exists() else None
    common = f"{manifest.st_size}:{manifest.st_mtime_ns}" if manifest else "-"
    prints = {}
    for year in paths.year_folders():
        digest = hashlib.sha256(common.encode())
        for name, _, size, mtime in year_file_stats(paths, year):
            digest.update(f"{name}\0{size}\0{mtime}\n".encode())
        prints[year] = digest.hexdigest()[:16]
    return prints


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 30 s: a new folder under raw/ becomes a reporting-year partition, and "
    "each year whose files changed (paths, sizes, times; the manifest) gets an ingest run. "
    "On by default.",
)
def raw_files_sensor(context: dg.SensorEvaluationContext, xxgk: XxgkData) -> dg.SensorResult:
    """Adds a partition for each new year folder and requests a run for each year whose files
    changed since the last tick (on the first tick: each year never materialised)."""
    prints = folder_fingerprints(xxgk.paths())
    known = set(context.instance.get_dynamic_partitions(year_partitions.name))
    if context.cursor:
        previous = json.loads(context.cursor)
        changed = [y for y, fp in prints.items() if previous.get(y) != fp]
    else:
        done = context.instance.get_materialized_partitions(dg.AssetKey("stg_reports"))
        changed = [y for y in prints if y not in done]
    new_years = sorted(set(prints) - known)
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=y, run_key=f"{y}:{prints[y]}") for y in sorted(changed)
        ],
        dynamic_partitions_requests=[year_partitions.build_add_request(new_years)]
        if new_years
        else [],
        cursor=json.dumps(prints, sort_keys=True),
    )


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[ingest_job],
    request_job=warehouse_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After every successful ingest run, a warehouse run: reference tables, dbt "
    "build, the suites, publish. On by default.",
)
def warehouse_after_ingest(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    """Rebuild the warehouse (dbt) after every successful ingest run."""
    return dg.RunRequest(run_key=context.dagster_run.run_id)
