"""The Great Expectations suites of expectations/, run as Dagster asset checks on the samples,
and each made to fire on a warehouse changed on purpose."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import quality
from dagster_project.checks.expectations import SuiteConfig, report_identities
from dagster_project.jobs import resolved_warehouse_job
from dagster_project.parsing.reference import form_cells
from dagster_project.paths import DataPaths
from dagster_project.resources import XxgkData
from dagster_project.warehouse import connect
from tests.conftest import dbt_in_folder, warehouse_copy

pytestmark = pytest.mark.xdist_group("heavy")
SUITES = ("cross_year", "narrative", "report_identities", "staging_structure")


def validate(
    paths: DataPaths, name: str, docs: Path | None = None, **overrides: float
) -> quality.Validation:
    with connect(paths.warehouse, read_only=True) as con:
        return quality.validate(
            quality.Suite.load(name),
            con,
            docs_dir=docs,
            frames={"form_cells": form_cells()},
            **overrides,
        )


def change(paths: DataPaths, sql: str, *params: object) -> None:
    """Changes the copy's staging tables; `sql` must touch at least one row."""
    with connect(paths.warehouse) as con:
        touched = con.execute(sql, list(params)).fetchall()
    assert touched, sql


def report_id(paths: DataPaths, agency: str, year: int) -> str:
    with connect(paths.warehouse, read_only=True) as con:
        (row,) = con.execute(
            "select report_id from stg_reports where agency = ? and year = ?", [agency, year]
        ).fetchall()
    return row[0]


def rules_for(result: quality.Validation, report: str) -> set[tuple[str, str | None]]:
    return {(f["rule_id"], f.get("group_key")) for f in result.findings if f["report_id"] == report}


def test_suites_are_readable_definitions() -> None:
    assert quality.suite_names() == list(SUITES)
    for name in SUITES:
        suite = quality.Suite.load(name)
        assert suite.expectations and suite.index[0] == "report_id"
        assert {e.severity for e in suite.expectations} <= {"error", "warn"}


def test_a_malformed_suite_is_refused(tmp_path: Path) -> None:
    (tmp_path / "broken.yml").write_text("name: broken\nexpectations: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="malformed suite"):
        quality.Suite.load("broken", tmp_path)
    (tmp_path / "typo.yml").write_text(
        "name: typo\ndescription: d\nledger: select 1 as report_id\nindex: [report_id]\n"
        "expectations:\n  - {rule_id: S-1, description: d, expectation: expect_nothing_at_all}\n",
        encoding="utf-8",
    )
    con = duckdb.connect()
    with pytest.raises(ValueError, match="unknown expectation"):
        quality.validate(quality.Suite.load("typo", tmp_path), con)


def test_sample_checks_in_dagster(built: tuple[DataPaths, dict]) -> None:
    """On the samples, structure and cross-year pass; the identity and narrative warnings name
    seed 003 (温州市统计局 2020: T3-2, N-1) and the two real reports that break a rule in the
    source (洪泽 2023 T4-1, 洪泽 2024 N-1)."""
    paths, results = built
    evaluations = {
        e.check_name: e
        for run in results.values()
        for e in run.get_asset_check_evaluations()
        if e.check_name in SUITES
    }
    assert set(evaluations) == set(SUITES)
    assert evaluations["staging_structure"].passed
    assert evaluations["cross_year"].passed
    for name in ("report_identities", "narrative"):
        e = evaluations[name]
        assert not e.passed and e.severity == dg.AssetCheckSeverity.WARN
        docs = Path(e.metadata["data_docs_path"].value)
        assert docs == paths.docs / "expectations" / name / "index.html" and docs.is_file()
        page = Path(e.metadata["quality_report_path"].value)
        assert page == paths.docs / "quality" / f"{name}.html" and page.is_file()
        assert e.metadata["quality_report"].value.endswith(f"/quality/{name}.html")
    identities = evaluations["report_identities"]
    assert "T3-2 broken in 温州市统计局 2020" in identities.description
    assert "T4-1 broken in 淮安市洪泽区人民政府 2023" in identities.description
    findings = identities.metadata["findings_json"].value
    wenzhou = [f for f in findings if f["agency"] == "温州市统计局"]
    assert {(f["rule_id"], f["group_key"], f["expected"], f["reported"]) for f in wenzhou} == {
        ("T3-2", "natural_person", 3, 7),
        ("T3-2", "total", 3, 7),
    }
    assert wenzhou[0]["file"] == "2020/wenzhou-statistics-bureau-2020.txt"
    narrative = evaluations["narrative"].metadata["findings_json"].value
    assert {(f["agency"], f["fact"], f["stated"], f["figure"]) for f in narrative} == {
        ("温州市统计局", "applications_received", 14, 7),
        ("温州市统计局", "applications_closed", 14, 7),
        ("淮安市洪泽区人民政府", "applications_received", 17, 95),
    }


def test_a_second_run_gives_the_same_results(built: tuple[DataPaths, dict], tmp_path: Path) -> None:
    paths, _ = built
    docs = tmp_path / "docs" / "report_identities"
    first = validate(paths, "report_identities", docs)
    pages = sorted(p.parent.parent.name for p in (docs / "validations").rglob("*.html"))
    second = validate(paths, "report_identities", docs)
    assert (first.findings, first.rules, first.shares) == (
        second.findings,
        second.rules,
        second.shares,
    )
    # one validation page per year of the ledger (the 2022 sample has no tables); the site is
    # rebuilt, not added to
    assert pages == ["year-2020", "year-2023", "year-2024"]
    assert sorted(p.parent.parent.name for p in (docs / "validations").rglob("*.html")) == pages


def test_batches_of_a_few_reports_give_the_same_validation(
    built: tuple[DataPaths, dict], tmp_path: Path
) -> None:
    """A year cut into parts (by a hash of the report id) is validated part by part; the
    findings, counts and shares are those of whole years."""
    paths, _ = built
    docs = tmp_path / "docs"
    for name in ("report_identities", "narrative"):
        whole = validate(paths, name)
        parts = validate(paths, name, docs / name, batch_reports=1)
        assert whole.findings and parts.findings == whole.findings
        assert (parts.rules, parts.shares, parts.reports, parts.ledger_rows) == (
            whole.rules,
            whole.shares,
            whole.reports,
            whole.ledger_rows,
        )
        pages = {p.parent.parent.name for p in (docs / name / "validations").rglob("*.html")}
        assert "year-2024-part-2-of-2" in pages and any("2020-part-2-of" in p for p in pages)


def test_a_duplicated_report_is_found_whatever_the_batch_size(
    built: tuple[DataPaths, dict], tmp_path: Path
) -> None:
    """Every row of a report id lands in the same batch, so a uniqueness expectation sees both
    copies even when a batch holds one report."""
    paths = warehouse_copy(built[0], tmp_path)
    guangzhou = report_id(paths, "广州市人民政府", 2020)
    change(
        paths,
        "insert into stg_reports select * from stg_reports where report_id = ? returning 1",
        guangzhou,
    )
    for batch_reports in (1, 20_000):
        result = validate(paths, "staging_structure", batch_reports=batch_reports)
        assert result.severity == "error"
        assert "one staged report per report id" in {f["expectation"] for f in result.findings}


@pytest.mark.parametrize(
    ("row", "col", "fired"),
    [
        ("new_received", "natural_person", {("T3-1", "natural_person"), ("T3-3", "new_received")}),
        ("granted", "commercial", {("T3-2", "commercial"), ("T3-3", "granted")}),
        ("carried_forward", "total", {("T3-1", "total"), ("T3-3", "carried_forward")}),
    ],
)
def test_one_changed_cell_fires_its_identities(
    built: tuple[DataPaths, dict], tmp_path: Path, row: str, col: str, fired: set
) -> None:
    paths = warehouse_copy(built[0], tmp_path)
    guangzhou = report_id(paths, "广州市人民政府", 2020)
    assert rules_for(validate(paths, "report_identities"), guangzhou) == set()
    change(
        paths,
        "update stg_table3_cells set value = value + 1 "
        "where report_id = ? and row_key = ? and col_key = ? returning 1",
        guangzhou,
        row,
        col,
    )
    result = validate(paths, "report_identities")
    assert rules_for(result, guangzhou) == fired
    assert result.severity == "warn"
    named = [f for f in result.findings if f["report_id"] == guangzhou]
    assert {(f["agency"], f["year"]) for f in named} == {("广州市人民政府", 2020)}


def test_the_threshold_turns_a_warning_into_an_error(built: tuple[DataPaths, dict]) -> None:
    paths, _ = built
    default = validate(paths, "report_identities")
    assert default.severity == "warn" and not default.escalated  # years of < 20 reports
    # one of four 2020 reports breaks T3-2: 25% of the year
    assert default.shares["T3-2"]["2020"] == {"reports": 4, "broken": 1, "share": 0.25}
    strict = validate(paths, "report_identities", min_reports=1)
    assert strict.escalated == ["T3-2", "T4-1"] and strict.severity == "error"
    lenient = validate(paths, "report_identities", min_reports=1, max_broken_share=1.0)
    assert lenient.severity == "warn"
    # the same policy through the asset check and its run config
    context = dg.build_asset_check_context(resources={"xxgk": XxgkData(data_dir=str(paths.root))})
    result = report_identities(context, config=SuiteConfig(min_reports=1))
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert result.metadata["escalated_rules"].value == ["T3-2", "T4-1"]


def test_an_escalated_error_keeps_the_published_warehouse(
    built: tuple[DataPaths, dict], tmp_path: Path
) -> None:
    paths = warehouse_copy(built[0], tmp_path)
    result = resolved_warehouse_job().execute_in_process(
        resources={"xxgk": XxgkData(data_dir=str(paths.root))},
        run_config={"ops": {"dim_report_report_identities": {"config": {"min_reports": 1}}}},
        raise_on_error=False,
    )
    (identities,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "report_identities"
    ]
    assert identities.severity == dg.AssetCheckSeverity.ERROR and not identities.passed
    built_assets = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert "dim_report" in built_assets and "published_warehouse" not in built_assets
    assert not paths.published.exists()


@pytest.mark.parametrize(
    ("sql", "expectation"),
    [
        (
            "delete from stg_table3_cells where report_id = ? and row_key = 'granted' "
            "and col_key = 'total' returning 1",
            "every cell of the report's forms is in staging (none lost)",
        ),
        (
            "insert into stg_table4_cells select * from stg_table4_cells "
            "where report_id = ? and cell_order = 0 returning 1",
            "one cell per table, row and column (keys unique)",
        ),
        (
            "update stg_table4_cells set outcome = 'made_up' where report_id = ? "
            "and cell_order = 2 returning 1",
            "no cell outside the report's forms",
        ),
        (
            "update stg_table2_cells set value = 2.5 where report_id = ? "
            "and measure = 'decisions' and item = 'licensing' returning 1",
            "counts are whole numbers (only money may have decimals)",
        ),
        (
            "update stg_table3_cells set value = -3 where report_id = ? "
            "and row_key = 'partial' and col_key = 'research' returning 1",
            "no negative count (only table 2's signed change may be negative)",
        ),
        (
            "update stg_table4_cells set state = 'missing' where report_id = ? "
            "and cell_order = 3 returning 1",
            "a value agrees with its state (number has a value, dash zero is 0, missing is null)",
        ),
        (
            "update stg_table2_cells set value = null, state = 'missing' where report_id = ? "
            "and measure = 'decisions' and item = 'licensing' returning 1",
            "every missing cell comes with a parse issue saying why",
        ),
    ],
)
def test_the_structure_suite_fires(
    built: tuple[DataPaths, dict], tmp_path: Path, sql: str, expectation: str
) -> None:
    paths = warehouse_copy(built[0], tmp_path)
    guangzhou = report_id(paths, "广州市人民政府", 2020)
    change(paths, sql, guangzhou)
    result = validate(paths, "staging_structure")
    assert result.severity == "error"
    assert {f["report_id"] for f in result.findings} == {guangzhou}
    assert expectation in {f["expectation"] for f in result.findings}


def test_a_structural_failure_blocks_the_warehouse_build(
    built: tuple[DataPaths, dict], tmp_path: Path
) -> None:
    paths = warehouse_copy(built[0], tmp_path)
    change(paths, "delete from stg_table4_cells where cell_order = 7 returning 1")
    with connect(paths.warehouse) as con:
        con.execute("drop table dim_report")
    result = resolved_warehouse_job().execute_in_process(
        resources={"xxgk": XxgkData(data_dir=str(paths.root))}, raise_on_error=False
    )
    assert not result.success
    (structure,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "staging_structure"
    ]
    assert not structure.passed and structure.severity == dg.AssetCheckSeverity.ERROR
    assert "S-1 broken in" in structure.description
    built_assets = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()}
    assert "dim_report" not in built_assets and "fct_application_flows" not in built_assets
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        tables = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
    assert "dim_report" not in tables  # dbt never ran


def test_the_narrative_suite_fires(built: tuple[DataPaths, dict], tmp_path: Path) -> None:
    paths = warehouse_copy(built[0], tmp_path)
    guangzhou = report_id(paths, "广州市人民政府", 2020)
    statistics = report_id(paths, "广州市统计局", 2020)
    change(
        paths,
        "update stg_narrative_facts set value = 470 where report_id = ? "
        "and fact = 'review_cases' returning 1",
        guangzhou,
    )
    change(
        paths,
        "update stg_narrative_facts set value = 40.0 where report_id = ? "
        "and fact = 'granted' and unit = 'percent' returning 1",
        statistics,
    )
    result = validate(paths, "narrative")
    found = {
        (f["report_id"], f["fact"], f["unit"], f["stated"], f["figure"]) for f in result.findings
    }
    assert (guangzhou, "review_cases", "count", 470, 471) in found
    assert any(r == statistics and fact == "granted" and u == "percent" for r, fact, u, *_ in found)


def test_the_cross_year_suite_fires(built: tuple[DataPaths, dict], tmp_path: Path) -> None:
    paths = warehouse_copy(built[0], tmp_path)
    hongze = report_id(paths, "淮安市洪泽区人民政府", 2024)
    assert validate(paths, "cross_year").passed
    change(
        paths,
        "update stg_table3_cells set value = 5, state = 'number' where report_id = ? "
        "and row_key = 'carried_over' and col_key = 'research' returning 1",
        hongze,
    )
    build = dbt_in_folder(paths, tmp_path, "run", "--select", "+rpt_cross_year")
    assert build.returncode == 0, build.stdout
    result = validate(paths, "cross_year")
    assert [
        (f["rule_id"], f["group_key"], f["expected"], f["reported"]) for f in result.findings
    ] == [("X-1", "research", 0, 5)]
    assert result.findings[0]["agency"] == "淮安市洪泽区人民政府"
    assert result.findings[0]["last_year"] == 2023
