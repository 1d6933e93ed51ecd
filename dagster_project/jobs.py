"""Jobs: ingest to staging per reporting year, then the warehouse (reference tables and dbt)."""

import dagster as dg

from dagster_project.checks.expectations import staging_structure

# Both jobs run their steps in the run's own process: each step does seconds of work or less,
# and a step process of its own would spend longer importing Dagster, dbt and the project
# (a UI run of one year's ingest took 227 s with a process per step, against 32 s from the
# command line). Years run in parallel as separate runs.
ingest_job = dg.define_asset_job(
    "xxgk_ingest",
    executor_def=dg.in_process_executor,
    # The structure suite reads every year; it runs once, in the warehouse job, before dbt.
    selection=dg.AssetSelection.groups("ingest", "staging")
    - dg.AssetSelection.checks(staging_structure),
    description="Raw files of one or more reporting years to the DuckDB staging tables.",
)

# The warehouse's asset groups, by stage, in the order data flows through them.
WAREHOUSE_GROUPS = (
    "reference",
    "dbt_staging",
    "intermediate",
    "dimensions_facts",
    "marts_reports",
    "publish",
)

warehouse_job = dg.define_asset_job(
    "xxgk_warehouse",
    executor_def=dg.in_process_executor,
    # The blocking structure check runs first again: dbt builds nothing from staging tables
    # whose cells were lost or duplicated.
    selection=dg.AssetSelection.groups(*WAREHOUSE_GROUPS)
    | dg.AssetSelection.checks(staging_structure),
    description="Reference tables and `dbt build`: the star schema, marts and their tests over "
    "every year in the staging tables, then the Great Expectations suites.",
)


def resolved_ingest_job() -> dg.JobDefinition:
    """The ingest job bound to its resources: for `dg.reconstructable` (a run launched in a
    process of its own) and for in-process runs."""
    from dagster_project.definitions import defs  # deferred: definitions imports this module

    return defs.resolve_job_def(ingest_job.name)


def resolved_warehouse_job() -> dg.JobDefinition:
    """The warehouse job bound to its resources."""
    from dagster_project.definitions import defs

    return defs.resolve_job_def(warehouse_job.name)
