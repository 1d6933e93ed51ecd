"""Real Dagster materialisations of the pipeline into a temporary data folder and DuckDB."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import dagster as dg

from dagster_project.assets import OWNERS
from dagster_project.cli import run_pipeline
from dagster_project.partitions import year_partitions
from dagster_project.paths import DataPaths
from dagster_project.resources import XxgkData
from dagster_project.schedules import latest_year_daily
from dagster_project.sensors import raw_files_sensor
from dagster_project.warehouse import connect

YEARS = ["2020", "2022", "2023", "2024"]
BIN = Path(sys.executable).parent


def query(paths: DataPaths, sql: str, params: list | None = None) -> list[tuple]:
    with connect(paths.warehouse, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def counts_by_year(paths: DataPaths) -> dict[str, list[tuple]]:
    tables = [
        "raw_files",
        "quarantine",
        "stg_reports",
        "stg_table3_cells",
        "stg_table4_cells",
        "stg_table2_cells",
        "stg_narrative_facts",
        "stg_parse_issues",
    ]
    return {
        t: query(paths, f"select year, count(*) from {t} group by year order by year")
        for t in tables
    }


def run_ok(paths: DataPaths, years: list[str] | None = None) -> dict:
    """Ingest runs only: these tests are about staging (test_dbt.py covers the warehouse)."""
    results = run_pipeline(paths, years, log_level="ERROR", warehouse=False)
    assert all(r.success for r in results.values()), [
        y for y, r in results.items() if not r.success
    ]
    return results


def check_passed(result: dg.ExecuteInProcessResult, name: str) -> bool:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return evaluation.passed


def test_pipeline_loads_every_sample(data_dir: DataPaths) -> None:
    results = run_ok(data_dir)
    assert data_dir.warehouse.exists() and data_dir.warehouse.is_relative_to(data_dir.root)
    assert query(data_dir, "select count(*), count(distinct report_id) from stg_reports") == [
        (8, 8)
    ]
    assert query(data_dir, "select count(*) from raw_files where status = 'staged'") == [(8,)]
    assert query(data_dir, "select count(*) from quarantine") == [(0,)]
    # 6 reports of 23 rows and 1 of 25, 7 columns each; the tableless report has none.
    assert query(data_dir, "select count(*) from stg_table3_cells") == [((6 * 23 + 25) * 7,)]
    assert query(
        data_dir,
        """
        select value from stg_table3_cells c join stg_reports r using (report_id)
        where r.agency = '广州市人民政府' and c.row_key = 'new_received' and c.col_key = 'total'
    """,
    ) == [(18291,)]
    assert all(check_passed(r, "files_accounted_for") for r in results.values())
    materialized = dg.DagsterInstance.get().get_materialized_partitions(dg.AssetKey("stg_reports"))
    assert materialized == set(YEARS)


def test_rerun_replaces_exactly_its_partition(data_dir: DataPaths) -> None:
    run_ok(data_dir)
    before = counts_by_year(data_dir)
    run_ok(data_dir, ["2020"])
    assert counts_by_year(data_dir) == before
    (data_dir.raw / "2020" / "wenzhou-statistics-bureau-2020.txt").unlink()
    run_ok(data_dir, ["2020"])
    after = counts_by_year(data_dir)
    assert after["stg_reports"] == [(2020, 3), (2022, 1), (2023, 1), (2024, 2)]
    for table in after:
        assert [r for r in after[table] if r[0] != 2020] == [
            r for r in before[table] if r[0] != 2020
        ], table


def test_duplicate_content_is_parsed_once_with_all_paths(data_dir: DataPaths) -> None:
    source = data_dir.raw / "2020" / "dongguan-statistics-bureau-2020.txt"
    shutil.copy(source, data_dir.raw / "2020" / "东莞 统计局 '副本'.txt")
    run_ok(data_dir, ["2020"])
    assert query(data_dir, "select count(*) from raw_files where year = 2020") == [(5,)]
    assert query(data_dir, "select count(*) from stg_reports where year = 2020") == [(4,)]
    [(paths_, duplicate_of)] = query(
        data_dir,
        """
        select r.paths, f.duplicate_of from stg_reports r
        join raw_files f on f.report_id = r.report_id and f.duplicate_of is not null
    """,
    )
    assert sorted(paths_) == [
        "2020/dongguan-statistics-bureau-2020.txt",
        "2020/东莞 统计局 '副本'.txt",
    ]
    assert duplicate_of == "2020/dongguan-statistics-bureau-2020.txt"


def test_bad_files_are_quarantined_and_the_rest_loads(data_dir: DataPaths) -> None:
    folder = data_dir.raw / "2020"
    (folder / "scan.txt").write_bytes(b"%PDF-1.4\n" + bytes(range(256)))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "notes.txt").write_text("会议纪要：请各位同事准时参加。", encoding="utf-8")
    [result] = run_ok(data_dir, ["2020"]).values()
    quarantine = dict(query(data_dir, "select path, reason from quarantine order by path"))
    assert quarantine == {
        "2020/empty.txt": "empty file",
        "2020/notes.txt": "not a report: no table, agency or reporting year found",
        "2020/scan.txt": "truncated PDF: it does not end with %%EOF (a download cut short?)",
    }
    assert query(data_dir, "select count(*) from stg_reports") == [(4,)]
    assert query(data_dir, "select status, count(*) from raw_files group by status order by 1") == [
        ("quarantined", 3),
        ("staged", 4),
    ]
    assert check_passed(result, "files_accounted_for")
    # the UI shows each quarantined file with its stage and reason, and this year's rows
    [event] = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("quarantine")
    ]
    metadata = event.materialization.metadata
    assert "| 2020 | 2020/empty.txt | ingest | empty file |" in metadata["files"].value
    assert metadata["rows_in_partition"].value == 3


def test_files_check_fires_when_a_file_is_unaccounted_for(data_dir: DataPaths) -> None:
    run_ok(data_dir, ["2020"])
    (data_dir.raw / "2020" / "late.txt").write_text("迟到的文件", encoding="utf-8")
    from dagster_project.checks.files import account_files

    result = account_files(data_dir, ["2020"], since=None)
    assert not result.passed
    assert result.metadata["years_failing"].value == ["2020"]
    assert result.metadata["unaccounted"].value == ["2020/late.txt"]
    # the first line names the year, the file and why
    assert result.description.splitlines()[0] == (
        "files unaccounted for in 2020: 1 found on disk but not in raw_files: 2020/late.txt"
    )
    # a file written after the run started arrived during it: it waits for the next run
    during = account_files(data_dir, ["2020"], since=0.0)
    assert during.passed and during.metadata["arrived_during_run"].value == ["2020/late.txt"]
    assert "wait for the next" in during.description


def test_a_year_run_is_not_failed_by_a_file_of_another_year(data_dir: DataPaths) -> None:
    # a report lands in 2024's folder, not yet loaded, while 2020 is run: 2020 is judged alone
    (data_dir.raw / "2024" / "new.txt").write_text("新到的文件", encoding="utf-8")
    [result] = run_ok(data_dir, ["2020"]).values()
    assert check_passed(result, "files_accounted_for")
    [evaluation] = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "files_accounted_for"
    ]
    assert list(evaluation.metadata["years"].value) == ["2020"]


def test_sensor_requests_runs_for_new_and_changed_years(data_dir: DataPaths) -> None:
    instance = dg.DagsterInstance.get()
    resources = {"xxgk": XxgkData()}
    first = raw_files_sensor(dg.build_sensor_context(instance=instance, resources=resources))
    assert sorted(r.partition_key for r in first.run_requests) == YEARS
    [add] = first.dynamic_partitions_requests
    assert sorted(add.partition_keys) == YEARS
    instance.add_dynamic_partitions(year_partitions.name, YEARS)

    quiet = raw_files_sensor(
        dg.build_sensor_context(instance=instance, resources=resources, cursor=first.cursor)
    )
    assert quiet.run_requests == [] and quiet.dynamic_partitions_requests == []

    shutil.copy(
        data_dir.raw / "2024" / "hongze-district-government-2024.txt",
        data_dir.raw / "2022" / "new-report.txt",
    )
    (data_dir.raw / "2025").mkdir()
    (data_dir.raw / "2025" / "a.txt").write_text("2025年政府信息公开工作年度报告", encoding="utf-8")
    later = raw_files_sensor(
        dg.build_sensor_context(instance=instance, resources=resources, cursor=quiet.cursor)
    )
    assert sorted(r.partition_key for r in later.run_requests) == ["2022", "2025"]
    assert later.dynamic_partitions_requests[0].partition_keys == ["2025"]


def test_sensor_first_tick_skips_years_already_materialised(data_dir: DataPaths) -> None:
    run_ok(data_dir, ["2020"])
    instance = dg.DagsterInstance.get()
    result = raw_files_sensor(
        dg.build_sensor_context(instance=instance, resources={"xxgk": XxgkData()})
    )
    assert sorted(r.partition_key for r in result.run_requests) == ["2022", "2023", "2024"]


def test_schedule_runs_the_latest_year(data_dir: DataPaths) -> None:
    instance = dg.DagsterInstance.get()
    context = dg.build_schedule_context(instance=instance)
    assert isinstance(latest_year_daily(context), dg.SkipReason)
    instance.add_dynamic_partitions(year_partitions.name, YEARS)
    assert latest_year_daily(dg.build_schedule_context(instance=instance)).partition_key == "2024"


def test_the_graph_reads_at_a_glance() -> None:
    from dagster_project.definitions import defs
    from dagster_project.jobs import WAREHOUSE_GROUPS

    graph = defs.resolve_asset_graph()
    groups = {n.key.to_user_string(): n.group_name for n in graph.asset_nodes}
    assert groups["raw_reports"] == "ingest" and groups["stg_reports"] == "staging"
    assert groups["stg_xxgk__reports"] == "dbt_staging" and groups["ref_rules"] == "reference"
    assert groups["dim_report"] == groups["fct_application_flows"] == "dimensions_facts"
    assert groups["mart_agency_year"] == groups["rpt_cross_year"] == "marts_reports"
    assert groups["published_warehouse"] == "publish"
    # the warehouse job runs every stage after staging
    warehouse = defs.resolve_job_def("xxgk_warehouse").asset_layer.executable_asset_keys
    assert {groups[k.to_user_string()] for k in warehouse} == set(WAREHOUSE_GROUPS)
    # descriptions say what an asset is, not its SQL
    for node in graph.asset_nodes:
        assert node.description and "select " not in node.description.lower(), node.key
    repo = defs.get_repository_def()
    assert all(s.description for s in [*repo.sensor_defs, *repo.schedule_defs])
    # every asset has an owner; the analysts' warehouse follows the law's deadlines
    assert all(n.owners == OWNERS for n in graph.asset_nodes)
    policy = graph.get(dg.AssetKey("published_warehouse")).freshness_policy
    assert policy.deadline_cron == "0 0 7 2,4 *" and policy.timezone == "Asia/Shanghai"


def test_dbt_assets_show_their_row_counts_and_columns(built: tuple[DataPaths, dict]) -> None:
    paths, results = built
    events = {
        e.asset_key.to_user_string(): e.materialization.metadata
        for e in results["warehouse"].get_asset_materialization_events()
    }
    with connect(paths.published, read_only=True) as con:
        (rows,) = con.execute("select count(*) from mart_agency_year").fetchone()
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_name = 'mart_agency_year'"
            ).fetchall()
        )
    mart = events["mart_agency_year"]
    assert mart["dagster/row_count"].value == rows > 0
    columns = mart["dagster/column_schema"].schema.columns
    assert {c.name: c.type for c in columns} == types
    assert all(c.description for c in columns)
    # views get their columns, not a count that would run their query
    view = events["stg_xxgk__reports"]
    assert "dagster/row_count" not in view and view["dagster/column_schema"].schema.columns
