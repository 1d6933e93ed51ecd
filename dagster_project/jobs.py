"""Jobs: ingest to staging per reporting year, then the warehouse (reference tables and dbt)."""

import dagster as dg

from dagster_project.checks.expectations import staging_structure

ingest_job = dg.define_asset_job(
    "xxgk_ingest",
    # The structure suite reads every year; it runs once, in the warehouse job, before dbt.
    selection=dg.AssetSelection.groups("ingest", "staging")
    - dg.AssetSelection.checks(staging_structure),
    description="Raw files of one or more reporting years to the DuckDB staging tables.",
)

warehouse_job = dg.define_asset_job(
    "xxgk_warehouse",
    # The blocking structure check runs first again: dbt builds nothing from staging tables
    # whose cells were lost or duplicated.
    selection=dg.AssetSelection.groups("warehouse") | dg.AssetSelection.checks(staging_structure),
    description="Reference tables and `dbt build`: the star schema, marts and their tests over "
    "every year in the staging tables, then the Great Expectations suites.",
)


def resolved_ingest_job() -> dg.JobDefinition:
    """The ingest job bound to its resources: for `dg.reconstructable`, which rebuilds it in
    each step process of the multiprocess executor, and for in-process runs."""
    from dagster_project.definitions import defs  # deferred: definitions imports this module

    return defs.resolve_job_def(ingest_job.name)


def resolved_warehouse_job() -> dg.JobDefinition:
    """The warehouse job bound to its resources."""
    from dagster_project.definitions import defs

    return defs.resolve_job_def(warehouse_job.name)
