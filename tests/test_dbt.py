"""The real dbt project, run by Dagster and from the dbt/ folder, on the sample reports."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.cli import WAREHOUSE
from dagster_project.paths import SUITES_DIR, DataPaths
from dagster_project.quality import suite_names
from dagster_project.warehouse import MEMORY_ENV, connect, drop_moved_relations
from tests.conftest import dbt_in_folder, warehouse_copy

# One worker runs the heavy end-to-end tests (this module and the daemon backfill) in turn.
pytestmark = pytest.mark.xdist_group("heavy")
SUITES = set(suite_names())


def rows(paths: DataPaths, sql: str) -> list[tuple]:
    with connect(paths.warehouse, read_only=True) as con:
        return con.execute(sql).fetchall()


def test_dbt_build_passes_inside_the_pipeline(built: tuple[DataPaths, dict]) -> None:
    paths, results = built
    assert all(r.success for r in results.values())
    checks = results[WAREHOUSE].get_asset_check_evaluations()
    # dbt's tests pass; the Great Expectations suites are tested in test_expectations.py
    dbt_tests = [c for c in checks if c.check_name not in SUITES]
    assert len(dbt_tests) > 40 and all(c.passed for c in dbt_tests)
    names = {c.check_name for c in checks}
    assert "not_null_dim_report_is_certified" in names


def test_guangzhou_2020_figures(built: tuple[DataPaths, dict]) -> None:
    paths, _ = built
    assert rows(
        paths,
        """
        select new_received, carried_over, total, carried_forward, review_corrected,
               review_cases
        from mart_agency_year where agency = '广州市人民政府' and year = 2020
    """,
    ) == [(18291, 726, 18326, 691, 62, 471)]


def test_findings_of_seed_003(built: tuple[DataPaths, dict]) -> None:
    paths, _ = built
    violations = rows(
        paths,
        """
        select rule, group_key, expected, reported from rpt_identity_violations
        where agency = '温州市统计局' order by group_key
    """,
    )
    assert violations == [("T3-2", "natural_person", 3, 7), ("T3-2", "total", 3, 7)]
    assert rows(
        paths,
        "select count(*) from rpt_narrative_mismatches "
        "where agency = '温州市统计局' and rule = 'N-1'",
    ) == [(2,)]


def test_certification(built: tuple[DataPaths, dict]) -> None:
    paths, _ = built
    got = dict(
        ((a, y), c) for a, y, c in rows(paths, "select agency, year, is_certified from dim_report")
    )
    assert got == {
        ("东莞市统计局", 2020): True,
        ("广州市统计局", 2020): True,
        ("广州市人民政府", 2020): True,
        ("淮安市人民政府", 2024): True,
        ("淮安市洪泽区人民政府", 2024): True,
        # The source breaks an identity: T3-2 (seed 003), T4-1 (printed totals of 0).
        ("温州市统计局", 2020): False,
        ("淮安市洪泽区人民政府", 2023): False,
        # No tables at all (S-1).
        ("广州市统计局", 2022): False,
    }
    certified = rows(
        paths, "select count(distinct report_id) from fct_application_outcomes_certified"
    )
    assert certified == [(5,)]


def test_dimensions(built: tuple[DataPaths, dict]) -> None:
    paths, _ = built
    assert rows(
        paths,
        """
        select province, city, county, admin_level, agency_kind from dim_agency
        where agency = '淮安市洪泽区人民政府'
    """,
    ) == [("江苏省", "淮安市", "洪泽区", "county", "government")]
    assert rows(
        paths,
        "select category, count(*) from dim_disposition "
        "where disposition_key like 'other%' group by 1",
    ) == [("other", 4)]
    assert rows(paths, "select year, format from dim_year order by year") == [
        (2020, "2019"),
        (2022, "2021"),
        (2023, "2021"),
        (2024, "2021"),
    ]


def test_the_warehouse_describes_its_tables_and_columns(built: tuple[DataPaths, dict]) -> None:
    # dbt's descriptions persisted as DuckDB comments: analysts see them without the project
    paths, _ = built
    marts = "table_name similar to '(dim|fct|mart|rpt)_.*'"
    bare = rows(
        paths,
        f"select table_name, column_name from duckdb_columns() where {marts} "
        "and (comment is null or comment = '')",
    )
    assert bare == []
    tables = rows(paths, f"select table_name, comment from duckdb_tables() where {marts}")
    assert tables and all(comment for _, comment in tables)
    (pages,) = rows(
        paths,
        "select comment from duckdb_columns() where table_name = "
        "'fct_application_outcomes' and column_name = 'source_page'",
    )
    assert "PDF" in pages[0]


def test_analysts_read_a_schema_of_their_own(built: tuple[DataPaths, dict]) -> None:
    paths, _ = built
    # as an analyst opens the published file: no search path, schemas named
    with duckdb.connect(str(paths.published), read_only=True) as con:
        tables = dict(
            con.execute(
                "select table_schema, list(table_name) from information_schema.tables group by 1"
            ).fetchall()
        )
        (reports,) = con.execute("select count(*) from analytics.mart_agency_year").fetchone()
    assert reports > 0
    marts = ("dim_", "fct_", "mart_", "rpt_")
    assert set(tables) == {"main", "staging", "analytics"}
    assert all(t.startswith(marts) for t in tables["analytics"])
    assert {"dim_rule", "mart_agency_year", "fct_application_outcomes"} <= set(tables["analytics"])
    assert all(t.startswith(("stg_xxgk__", "int_")) for t in tables["staging"])
    # the loaded tables and the pipeline's bookkeeping, and no model
    assert {"raw_files", "stg_reports", "quarantine", "ref_rules", "xxgk_loads"} <= set(
        tables["main"]
    )
    assert not any(t.startswith((*marts, "stg_xxgk__", "int_")) for t in tables["main"])


def test_a_model_that_moved_schema_leaves_no_stale_copy(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema analytics")
        con.execute("create table main.dim_report as select 'old' as built")
        con.execute("create table analytics.dim_report as select 'new' as built")
        con.execute("create table main.raw_files as select 1 as kept")
    # the pipeline's connections look in main first: the stale copy would win
    with connect(path, read_only=True) as con:
        assert con.execute("select built from dim_report").fetchall() == [("old",)]
    assert drop_moved_relations(path, {"dim_report": "analytics"}) == ["main.dim_report"]
    with connect(path, read_only=True) as con:
        assert con.execute("select built from dim_report").fetchall() == [("new",)]
        assert con.execute("select kept from raw_files").fetchall() == [(1,)]


def test_the_rule_glossary_names_every_rule_used(built: tuple[DataPaths, dict]) -> None:
    paths, _ = built
    glossary = {r for (r,) in rows(paths, "select rule from dim_rule")}
    used = {
        r
        for table in (
            "stg_parse_issues",
            "rpt_identity_violations",
            "rpt_cross_year",
            "rpt_narrative_mismatches",
        )
        for (r,) in rows(paths, f"select distinct rule from {table} where rule is not null")
    }
    assert used and used <= glossary
    suites = " ".join(p.read_text() for p in SUITES_DIR.glob("*.yml"))
    assert set(re.findall(r"\b(?:S|T\d|N|X)-\d\b", suites)) <= glossary
    assert all(m for (m,) in rows(paths, "select meaning_zh from dim_rule"))
    assert glossary == {r for (r,) in rows(paths, "select rule from ref_rules")}


def test_the_mart_keeps_every_report_and_severities_mean_breaks(
    built: tuple[DataPaths, dict],
) -> None:
    paths, _ = built
    # 广州市统计局 2022 publishes no tables: it is in the mart, its figures null with a reason
    (row,) = rows(
        paths,
        "select applications_closed, granted, missing_reason from mart_agency_year "
        "where agency = '广州市统计局' and year = 2022",
    )
    assert row[:2] == (None, None) and row[2].startswith("table 3 was not found")
    staged = rows(
        paths, "select count(distinct (agency, year)) from dim_report where agency is not null"
    )
    assert rows(paths, "select count(*) from mart_agency_year") == staged
    # the certified rows stand apart: 温州市统计局 2020 (T3-2 broken) is not among them
    certified = rows(paths, "select agency, year from mart_agency_year_certified order by 1, 2")
    assert certified == rows(
        paths, "select agency, year from mart_agency_year where is_certified order by 1, 2"
    )
    assert 0 < len(certified) < staged[0][0] and ("温州市统计局", 2020) not in certified
    assert rows(
        paths,
        "select count(*) from mart_agency_year where applications_closed is distinct from total",
    ) == [(0,)]
    # a cross-year row that holds carries no severity; a broken one does
    assert rows(
        paths, "select count(*) from rpt_cross_year where holds and severity is not null"
    ) == [(0,)]
    assert rows(
        paths, "select count(*) from rpt_cross_year where not holds and severity is null"
    ) == [(0,)]


def test_dbt_from_its_folder_and_docs(built: tuple[DataPaths, dict], tmp_path: Path) -> None:
    copy = warehouse_copy(built[0], tmp_path)
    out = dbt_in_folder(copy, tmp_path, "build")
    assert out.returncode == 0, out.stdout[-3000:]
    docs = dbt_in_folder(copy, tmp_path, "docs", "generate")
    assert docs.returncode == 0, docs.stdout[-3000:]
    assert (tmp_path / "target" / "catalog.json").exists()


def test_a_lost_cell_fails_the_build(built: tuple[DataPaths, dict], tmp_path: Path) -> None:
    copy = warehouse_copy(built[0], tmp_path)
    with duckdb.connect(str(copy.warehouse)) as con:
        con.execute("""
            delete from stg_table3_cells
            where row_key = 'granted' and col_key = 'research' and report_id in (
                select report_id from stg_reports where agency = '东莞市统计局')
        """)
    out = dbt_in_folder(copy, tmp_path, "build")
    assert out.returncode != 0
    assert "assert_table3_has_every_row_and_column" in out.stdout


def test_verdicts_are_unknown_where_nothing_could_be_checked(
    built: tuple[DataPaths, dict], tmp_path: Path
) -> None:
    paths, _ = built
    got = {
        (a, y): (n1, s1)
        for a, y, n1, s1 in rows(paths, "select agency, year, n_1_holds, s_1_holds from dim_report")
    }
    assert got[("东莞市统计局", 2020)] == (None, True)  # the text states no figure
    assert got[("广州市统计局", 2022)] == (None, False)  # figures, but no table to compare
    assert got[("温州市统计局", 2020)] == (False, True)
    # A cell that could not be read leaves its rules unknown, never "holds".
    copy = warehouse_copy(paths, tmp_path)
    with duckdb.connect(str(copy.warehouse)) as con:
        con.execute("""
            update stg_table3_cells set value = null, state = 'missing'
            where row_key = 'granted' and col_key = 'natural_person' and report_id in (
                select report_id from stg_reports where agency = '东莞市统计局')
        """)
    out = dbt_in_folder(copy, tmp_path, "build")
    assert out.returncode == 0, out.stdout[-3000:]
    assert rows(
        copy,
        """
        select t3_1_holds, t3_2_holds, t3_3_holds, s_1_holds, is_certified from dim_report
        where agency = '东莞市统计局'
    """,
    ) == [(True, None, None, False, False)]


def test_the_manifest_is_parsed_again_only_when_the_project_changed(tmp_path: Path) -> None:
    from dagster_project.assets.dbt import DBT_DIR, manifest_is_stale

    project = tmp_path / "dbt"
    shutil.copytree(DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    manifest = project / "target" / "manifest.json"
    assert manifest_is_stale(project, manifest)  # none yet
    manifest.parent.mkdir()
    manifest.write_text("{}")
    assert not manifest_is_stale(project, manifest)
    model = next(project.rglob("dim_report.sql"))
    later = manifest.stat().st_mtime + 10
    os.utime(model, (later, later))
    assert manifest_is_stale(project, manifest)


def test_dbt_and_the_pipeline_keep_duckdb_to_the_memory_limit(
    built: tuple[DataPaths, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB would take 80% of the machine by default; both dbt and the pipeline's own
    connections take XXGK_DUCKDB_MEMORY instead, and spill past it."""
    copy = warehouse_copy(built[0], tmp_path)
    monkeypatch.setenv(MEMORY_ENV, "300MB")
    out = dbt_in_folder(
        copy, tmp_path, "show", "--inline", "select current_setting('memory_limit') as m"
    )
    assert out.returncode == 0, out.stdout[-3000:]
    assert "286.1 MiB" in out.stdout  # DuckDB shows 300 MB in MiB
    with connect(copy.warehouse, read_only=True) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone() == ("286.1 MiB",)
    monkeypatch.delenv(MEMORY_ENV)
    with connect(copy.warehouse, read_only=True) as con:
        assert con.execute("select current_setting('memory_limit')").fetchone() == ("953.6 MiB",)
