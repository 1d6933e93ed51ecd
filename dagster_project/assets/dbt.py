"""The dbt project as Dagster assets: every model and test downstream of the staging tables."""

import json
import os
import tempfile
from collections.abc import Iterator
from datetime import timedelta
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
    marts and reports) under their name as the asset key; their description is the YAML's,
    without the SQL; sources keep the asset keys their `meta` names."""

    def get_group_name(self, dbt_resource_props: dict[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_group_name(dbt_resource_props)
        folder = dbt_resource_props["fqn"][1]
        if folder == "marts":
            name = dbt_resource_props["name"]
            return "dimensions_facts" if name.startswith(("dim_", "fct_")) else "marts_reports"
        return {"staging": "dbt_staging"}.get(folder, folder)

    def get_asset_key(self, dbt_resource_props: dict[str, Any]) -> dg.AssetKey:
        # a model's key is its name, whatever its schema (dagster-dbt would prefix it)
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

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
    warehouse_copy = warehouse.working_copy(xxgk.paths())
    os.environ[WAREHOUSE_ENV] = str(warehouse_copy)
    warehouse.record_build_inputs(warehouse_copy)
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    models = {
        n["alias"]: n["schema"] for n in manifest["nodes"].values() if n["resource_type"] == "model"
    }
    for moved in warehouse.drop_moved_relations(warehouse_copy, models):
        context.log.info(f"dropped {moved}: the model now lives in another schema")
    with tempfile.TemporaryDirectory(prefix="dbt-", dir=DBT_DIR / "target") as target:
        build = dbt.cli(["build"], context=context, target_path=Path(target))
        events: list[Any] = []
        failure = None
        try:
            events.extend(build.stream())
        except Exception as error:  # a failed build's events are reported too, then its error
            failure = error
        yield from with_table_metadata(events, manifest, warehouse_copy)
        if failure is not None:
            raise failure


def with_table_metadata(events: list[Any], manifest: dict, database: Path) -> Iterator[Any]:
    """dbt's events, each model's with its column schema (names, DuckDB types, the YAML's
    descriptions) and, for tables, its row count. Read after dbt has exited: DuckDB admits no
    second connection beside dbt's writer, and dagster-dbt's own fetchers would leave its
    adapter's connection open in this process."""
    with warehouse.connect(database, read_only=True) as con:
        for event in events:
            node = manifest["nodes"].get(_text(event.metadata.get("unique_id")))
            if not isinstance(event, dg.Output) or node is None:
                yield event
                continue
            where = (node["schema"], node["alias"])
            columns = con.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                where,
            ).fetchall()
            described = node.get("columns", {})
            schema = dg.TableSchema(
                columns=[
                    dg.TableColumn(
                        name, kind, description=described.get(name, {}).get("description")
                    )
                    for name, kind in columns
                ]
            )
            table = {"dagster/column_schema": schema}
            if node["config"].get("materialized") in ("table", "incremental"):
                (rows,) = con.execute('select count(*) from "{}"."{}"'.format(*where)).fetchone()
                table["dagster/row_count"] = rows
            yield event.with_metadata({**event.metadata, **table})


def _text(value: Any) -> str | None:
    return getattr(value, "value", value)


# The law's deadlines: departments publish their reports by 31 January, governments by
# 31 March; the analysts' warehouse should hold them within a week of each.
PUBLICATION_DEADLINES = dg.FreshnessPolicy.cron(
    deadline_cron="0 0 7 2,4 *",
    lower_bound_delta=timedelta(days=7),
    timezone="Asia/Shanghai",
)


@dg.asset(
    deps=list(xxgk_dbt.keys),
    group_name="publish",
    kinds={"duckdb"},
    pool=warehouse.POOL,
    freshness_policy=PUBLICATION_DEADLINES,
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
