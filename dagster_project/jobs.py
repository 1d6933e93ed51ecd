"""Jobs: the ingest-to-staging pipeline over reporting-year partitions."""

import dagster as dg

ingest_job = dg.define_asset_job(
    "xxgk_ingest",
    selection=dg.AssetSelection.groups("ingest", "staging"),
    description="Raw files of one or more reporting years to the DuckDB staging tables.",
)


def resolved_ingest_job() -> dg.JobDefinition:
    """The ingest job bound to its resources: for `dg.reconstructable`, which rebuilds it in
    each step process of the multiprocess executor, and for in-process runs."""
    from dagster_project.definitions import defs  # deferred: definitions imports this module

    return defs.resolve_job_def(ingest_job.name)
