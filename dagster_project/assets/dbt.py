"""The dbt project as Dagster assets: every model and test downstream of the staging tables."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project import warehouse
from dagster_project.paths import DBT_DIR
from dagster_project.resources import XxgkData

WAREHOUSE_ENV = "XXGK_WAREHOUSE"
dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
PROJECT_FILES = ("*.sql", "*.yml", "*.csv")


def manifest_is_stale(project_dir: Path, manifest: Path) -> bool:
    """Whether dbt's manifest is missing or older than a file of the dbt project."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(
        f.stat().st_mtime > built
        for pattern in PROJECT_FILES
        for f in project_dir.rglob(pattern)
        if not {"target", "logs", "dbt_packages"} & set(f.relative_to(project_dir).parts)
    )


# `make` runs `dbt parse` before anything else. Under `dagster dev` every run and step process
# imports this module: parse only when the project changed since (dagster-dbt's own
# `prepare_if_dev` parses in every one of them, one at a time).
if manifest_is_stale(DBT_DIR, dbt_project.manifest_path):
    dbt_project.preparer.prepare(dbt_project)


class Translator(DagsterDbtTranslator):
    """Models go to the group of their stage (their folder, and dimensions and facts apart from
    marts and reports); their description is the YAML's, without the SQL; sources keep the
    asset keys their `meta` names."""

    def get_group_name(self, dbt_resource_props: dict[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_group_name(dbt_resource_props)
        folder = dbt_resource_props["fqn"][1]
        if folder == "marts":
            name = dbt_resource_props["name"]
            return "dimensions_facts" if name.startswith(("dim_", "fct_")) else "marts_reports"
        return {"staging": "dbt_staging"}.get(folder, folder)

    def get_description(self, dbt_resource_props: dict[str, Any]) -> str:
        kind = dbt_resource_props["config"].get("materialized", "model")
        described = dbt_resource_props.get("description") or "(no description)"
        return f"{described}\n\ndbt {kind} `{dbt_resource_props['name']}` in DuckDB."


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=Translator(),
    pool=warehouse.POOL,
)
def xxgk_dbt(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, xxgk: XxgkData
) -> Iterator[Any]:
    """`dbt build`: staging views, dimensions, facts, certified views, marts and their tests,
    in the warehouse of the data folder."""
    # profiles.yml reads the warehouse path from here; the run's target folder is temporary
    # (dbt leaves ~2 MB of artifacts per invocation).
    target = warehouse.working_copy(xxgk.paths())
    os.environ[WAREHOUSE_ENV] = str(target)
    warehouse.record_build_inputs(target)
    with tempfile.TemporaryDirectory(prefix="dbt-", dir=DBT_DIR / "target") as target:
        yield from dbt.cli(["build"], context=context, target_path=Path(target)).stream()


@dg.asset(
    deps=list(xxgk_dbt.keys),
    group_name="publish",
    kinds={"duckdb"},
    pool=warehouse.POOL,
)
def published_warehouse(xxgk: XxgkData) -> dg.MaterializeResult:
    """The warehouse analysts read, `warehouse.duckdb` in the data folder: replaced whole by a
    copy of the pipeline's once dbt has built every model and no blocking check failed.
    Readers with an open connection keep the copy they opened; the pipeline never waits for
    them."""
    paths = xxgk.paths()
    size = warehouse.publish(paths)
    with warehouse.connect(paths.published, read_only=True) as con:
        reports, certified = con.execute(
            "select count(*), count(*) filter (where is_certified) from dim_report"
        ).fetchall()[0]
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(paths.published)),
            "size_mib": round(size / 2**20, 1),
            "reports": reports,
            "reports_certified": certified,
        }
    )
