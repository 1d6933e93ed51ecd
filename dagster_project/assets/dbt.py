"""The dbt project as Dagster assets: every model and test downstream of the staging tables."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project import warehouse
from dagster_project.resources import XxgkData

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"
WAREHOUSE_ENV = "XXGK_WAREHOUSE"
dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
# `dagster dev` parses the project itself; elsewhere `make` has run `dbt parse` first.
dbt_project.prepare_if_dev()


class Translator(DagsterDbtTranslator):
    """Models go to group `warehouse`; sources keep the asset keys their `meta` names."""

    def get_group_name(self, dbt_resource_props: dict[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_group_name(dbt_resource_props)
        return "warehouse"


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
    os.environ[WAREHOUSE_ENV] = str(xxgk.paths().warehouse)
    with tempfile.TemporaryDirectory(prefix="dbt-", dir=DBT_DIR / "target") as target:
        yield from dbt.cli(["build"], context=context, target_path=Path(target)).stream()
