"""Parse assets and the staging load: Parquet per year, then the one warehouse writer."""

from collections import Counter
from collections.abc import Iterator

import dagster as dg
import polars as pl

from dagster_project import warehouse
from dagster_project.assets.ingest import normalized_reports, raw_reports
from dagster_project.parsing.reference import reference_tables as build_reference_tables
from dagster_project.parsing.render import table3_markdown
from dagster_project.partitions import single_run, year_partitions
from dagster_project.pipeline import (
    STAGING_TABLES,
    WAREHOUSE_TABLES,
    parse_partition,
    staged_source,
    staging_frames,
)
from dagster_project.resources import XxgkData


def _preview(frames: dict[str, pl.DataFrame]) -> str:
    """Table 3 of the first report that has one, as markdown."""
    reports = frames["stg_reports"].filter(pl.col("table3_present"))
    if reports.is_empty():
        return "_no report in this run has a table 3_"
    first = reports.row(0, named=True)
    cells = (
        frames["stg_table3_cells"]
        .filter(pl.col("report_id") == first["report_id"])
        .sort("row_order", "col_order")
    )
    table3 = {
        key: group["value"].to_list()
        for (key,), group in cells.group_by("row_key", maintain_order=True)
    }
    return (
        f"**{first['agency']} {first['report_year']}** (`{first['file']}`)\n\n"
        + table3_markdown(table3)
    )


@dg.asset(
    deps=[normalized_reports],
    partitions_def=year_partitions,
    backfill_policy=single_run,
    group_name="ingest",
    kinds={"python", "polars", "parquet"},
)
def parsed_reports(context: dg.AssetExecutionContext, xxgk: XxgkData) -> dg.MaterializeResult:
    """Normalised reports parsed to the contract of DESIGN.md §6: metadata, table cells with
    their state and source line, narrative facts and issues.

    Grain: lake datasets stg_* per year (one row per report, cell, fact or issue), plus the
    reports quarantined at parse time.
    """
    paths = xxgk.paths()
    counts: Counter[str] = Counter()
    issue_codes: Counter[str] = Counter()
    preview = ""
    for year in context.partition_keys:
        frames, parse_quarantine, parsed_now = parse_partition(paths, year)
        for table, frame in frames.items():
            counts[table] += frame.height
        counts["parsed_now"] += parsed_now
        counts["quarantined"] += parse_quarantine.height
        issues = frames["stg_parse_issues"]
        issue_codes.update(issues["code"].to_list())
        counts["reports_identity_broken"] += issues.filter(pl.col("code") == "identity_broken")[
            "report_id"
        ].n_unique()
        for table in ("table2", "table3", "table4"):
            counts[f"{table}_present"] += int(frames["stg_reports"][f"{table}_present"].sum())
        if not preview.startswith("**"):
            preview = _preview(frames)
    return dg.MaterializeResult(
        metadata={
            "reports": counts["stg_reports"],
            "quarantined": counts["quarantined"],
            # the rest came from the parse cache: same content, hints and parser version
            "reports_parsed_now": counts["parsed_now"],
            "table3_cells": counts["stg_table3_cells"],
            "tables_present": dg.MetadataValue.json(
                {t: counts[f"{t}_present"] for t in ("table2", "table3", "table4")}
            ),
            "issues": dg.MetadataValue.json(dict(issue_codes)),
            "reports_identity_broken": counts["reports_identity_broken"],
            "preview": dg.MetadataValue.md(preview or "_no reports_"),
        }
    )


REFERENCE_TABLES = tuple(build_reference_tables())
FILE_TABLES = {
    "raw_files": "One row per path found under raw/<year>/: size, sha256, encoding, and its "
    "fate (staged or quarantined, with why).",
    "quarantine": "One row per file that could not be decoded or parsed, with the stage and "
    "the reason.",
}


@dg.multi_asset(
    specs=[
        *[
            dg.AssetSpec(
                table,
                deps=[raw_reports, parsed_reports],
                group_name="staging",
                kinds={"duckdb"},
                partitions_def=year_partitions,
                description=description,
            )
            for table, description in FILE_TABLES.items()
        ],
        *[
            dg.AssetSpec(
                table,
                deps=[parsed_reports],
                group_name="staging",
                kinds={"duckdb"},
                partitions_def=year_partitions,
                description=f"Staging table {table}: the parse output '{part}', one "
                "year per partition.",
            )
            for table, part in STAGING_TABLES.items()
        ],
    ],
    partitions_def=year_partitions,
    backfill_policy=single_run,
    pool=warehouse.POOL,
)
def warehouse_staging(
    context: dg.AssetExecutionContext, xxgk: XxgkData
) -> Iterator[dg.MaterializeResult]:
    """Load the year's lake datasets into the DuckDB warehouse in one transaction per year,
    replacing exactly that year's rows: the one place the pipeline writes staging tables."""
    paths = xxgk.paths()
    target = warehouse.working_copy(paths)
    totals: Counter[str] = Counter()
    unchanged = []
    for year in context.partition_keys:
        source = staged_source(paths.lake, year)
        if source and warehouse.loaded_source(target, int(year)) == source:
            unchanged.append(year)  # the rows in the warehouse come from this very input
            continue
        counts, recreated = warehouse.replace_partition(
            target, int(year), staging_frames(paths.lake, year), source
        )
        totals.update(counts)
        if recreated:
            context.log.warning(
                f"tables {sorted(recreated)} changed shape; reloading every year from the lake"
            )
            for other in paths.year_folders():
                if other != year and (paths.lake / "raw_files" / f"year={other}").exists():
                    frames = staging_frames(paths.lake, other)
                    warehouse.replace_partition(
                        target, int(other), {t: frames[t] for t in recreated}
                    )
    years = [int(y) for y in context.partition_keys]
    in_warehouse = warehouse.table_counts(target, list(WAREHOUSE_TABLES))
    in_years = warehouse.table_counts(target, list(WAREHOUSE_TABLES), years)
    for table in WAREHOUSE_TABLES:
        metadata = {
            "rows_loaded": totals[table],
            "rows_in_partition": in_years[table],
            "rows_in_warehouse": in_warehouse[table],
            "years_unchanged": dg.MetadataValue.json(unchanged),
            "warehouse": dg.MetadataValue.path(str(target)),
        }
        if table == "quarantine":
            metadata["files"] = dg.MetadataValue.md(
                quarantine_table(warehouse.quarantined(target, years))
            )
        yield dg.MaterializeResult(asset_key=table, metadata=metadata)


def quarantine_table(rows: list[tuple]) -> str:
    """The quarantined files of a run as a markdown table: year, path, stage, reason."""
    if not rows:
        return "_no file quarantined_"

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| year | path | stage | reason |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(cell(v) for v in row)} |" for row in rows]
    return "\n".join(lines)


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            table,
            group_name="reference",
            kinds={"duckdb"},
            description=f"Reference table {table}, built from the parser's own "
            "definitions of the forms and identities.",
        )
        for table in REFERENCE_TABLES
    ],
    pool=warehouse.POOL,
)
def reference_tables(xxgk: XxgkData) -> Iterator[dg.MaterializeResult]:
    """Dispositions, applicant types, review cells, table-2 measures and identity terms, from
    labels.py and identities.py, so that the dbt models read the parser's definitions."""
    paths = xxgk.paths()
    counts = warehouse.replace_tables(warehouse.working_copy(paths), build_reference_tables())
    for table, rows in counts.items():
        yield dg.MaterializeResult(asset_key=table, metadata={"rows": rows})
