"""The assets of every stage, with what applies to all of them."""

import dagster as dg

from dagster_project.assets import dbt, ingest, staging

# Who answers for the data: shown on every asset in the catalog.
OWNERS = ["team:xxgk-data"]


def all_assets() -> list[dg.AssetsDefinition]:
    """Every asset of ingest, staging and dbt, each with the project's owners."""
    return list(
        dg.map_asset_specs(
            lambda spec: spec.replace_attributes(owners=OWNERS),
            dg.load_assets_from_modules([ingest, staging, dbt]),
        )
    )
