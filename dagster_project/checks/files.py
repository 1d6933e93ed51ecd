"""Asset checks on the warehouse's accounting of raw files."""

import os
from pathlib import Path

import dagster as dg

from dagster_project import warehouse
from dagster_project.partitions import year_partitions
from dagster_project.paths import DataPaths
from dagster_project.pipeline import year_files
from dagster_project.resources import XxgkData

_ACCOUNTING_SQL = """
select f.year,
       list(f.path order by f.path) as paths,
       count(*) filter (where f.status = 'staged') as staged,
       (select count(*) from quarantine q where q.year = f.year) as quarantined,
       list(f.path order by f.path) filter (
           where f.status = 'staged' and f.report_id not in
               (select report_id from stg_reports r where r.year = f.year)
       ) as lost,
from raw_files f
group by f.year
order by f.year
"""
_SHOWN = 5  # file names a message lists before "and N more"


def _names(paths: list[str]) -> str:
    more = f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else ""
    return ", ".join(paths[:_SHOWN]) + more


def account_files(
    paths: DataPaths, years: list[str] | None, since: float | None
) -> dg.AssetCheckResult:
    """For each of these years (all in the warehouse if None): files found on disk = rows of
    raw_files = files staged + files quarantined, and every staged file has its report. A file
    modified after `since` (the run's start) arrived while the run went on: it is reported as
    waiting for the next run, not as lost."""
    with warehouse.connect(paths.warehouse, read_only=True) as con:
        rows = con.execute(_ACCOUNTING_SQL).fetchall()
    known = {str(year): rest for year, *rest in rows}
    judged = sorted(known) if years is None else sorted(years)
    per_year, failures, missing, waiting, dropped = {}, [], [], [], []
    for year in judged:
        registered, staged, quarantined, lost = known.get(year, ([], 0, 0, []))
        on_disk = {p.relative_to(paths.raw).as_posix(): p for p in year_files(paths, year)}
        unregistered = sorted(set(on_disk) - set(registered))
        late = [p for p in unregistered if since is not None and _mtime(on_disk[p]) >= since]
        absent = [p for p in unregistered if p not in late]
        gone = sorted(set(registered) - set(on_disk))  # deleted since the ingest listed them
        per_year[year] = {
            "found": len(on_disk),
            "in_table": len(registered),
            "staged": staged,
            "quarantined": quarantined,
            "staged_without_report": len(lost or []),
            "arrived_during_run": len(late),
            "removed_since_ingest": len(gone),
        }
        if absent or lost or len(registered) != staged + quarantined:
            failures.append(year)
        missing += absent
        dropped += lost or []
        waiting += late
    if failures:
        reasons = []
        if missing:
            reasons.append(f"{len(missing)} found on disk but not in raw_files: {_names(missing)}")
        if dropped:
            reasons.append(f"{len(dropped)} staged without a report: {_names(dropped)}")
        if not reasons:
            reasons.append("raw_files rows ≠ files staged + files quarantined")
        description = f"files unaccounted for in {', '.join(failures)}: " + "; ".join(reasons)
    else:
        description = f"files found = files staged + files quarantined in {', '.join(judged)}"
        if waiting:
            description += (
                f"; {len(waiting)} arrived during the run and wait for the next: {_names(waiting)}"
            )
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata={
            "years": dg.MetadataValue.json(per_year),
            "years_failing": dg.MetadataValue.json(failures),
            "unaccounted": dg.MetadataValue.json(missing + dropped),
            "arrived_during_run": dg.MetadataValue.json(waiting),
        },
    )


def _mtime(path: Path) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return float("inf")  # gone again: it cannot have been lost by this run


def _run_years(context: dg.AssetCheckExecutionContext) -> list[str] | None:
    """The reporting years of this check's run: its partition or partition range, or None
    for a run of no partition (every year)."""
    tags = context.run.tags
    if key := tags.get("dagster/partition"):
        return [key]
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    if start and end:
        keys = context.instance.get_dynamic_partitions(year_partitions.name)
        return [k for k in keys if start <= k <= end] or [start, end]
    return None


@dg.asset_check(asset="raw_files", blocking=True, pool=warehouse.POOL)
def files_accounted_for(
    context: dg.AssetCheckExecutionContext, xxgk: XxgkData
) -> dg.AssetCheckResult:
    """Nothing lost: for each reporting year of this run, files found on disk = rows of
    raw_files = files staged + files quarantined, and every staged file has its report. Files
    that arrive while the run goes on (in any year) wait for the next run; they fail nothing."""
    stats = context.instance.get_run_stats(context.run.run_id)
    return account_files(xxgk.paths(), _run_years(context), stats.start_time)
