"""Asset checks on the warehouse's accounting of raw files."""

import dagster as dg

from dagster_project import warehouse
from dagster_project.pipeline import count_year_files
from dagster_project.resources import XxgkData

_ACCOUNTING_SQL = """
select f.year,
       count(*) as in_table,
       count(*) filter (where f.status = 'staged') as staged,
       (select count(*) from quarantine q where q.year = f.year) as quarantined,
       count(*) filter (where f.status = 'staged' and f.report_id not in
                        (select report_id from stg_reports r where r.year = f.year)) as lost
from raw_files f
group by f.year
order by f.year
"""


@dg.asset_check(asset="raw_files", blocking=True, pool=warehouse.POOL)
def files_accounted_for(xxgk: XxgkData) -> dg.AssetCheckResult:
    """Nothing lost: for every year loaded, files found on disk = rows of raw_files = files
    staged + files quarantined, and every staged file has its report in stg_reports."""
    paths = xxgk.paths()
    with warehouse.connect(paths.warehouse, read_only=True) as con:
        rows = con.execute(_ACCOUNTING_SQL).fetchall()
    per_year, failures = {}, []
    for year, in_table, staged, quarantined, lost in rows:
        found = count_year_files(paths, str(year))
        per_year[str(year)] = {
            "found": found,
            "in_table": in_table,
            "staged": staged,
            "quarantined": quarantined,
            "staged_without_report": lost,
        }
        if not (found == in_table == staged + quarantined) or lost:
            failures.append(str(year))
    return dg.AssetCheckResult(
        passed=not failures,
        severity=dg.AssetCheckSeverity.ERROR,
        description="files found = files staged + files quarantined"
        if not failures
        else f"files unaccounted for in years {', '.join(failures)}",
        metadata={
            "years": dg.MetadataValue.json(per_year),
            "years_failing": dg.MetadataValue.json(failures),
        },
    )
