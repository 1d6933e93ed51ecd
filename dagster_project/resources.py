"""Resources: the data folder the assets read and write."""

import dagster as dg

from dagster_project.paths import DataPaths


class XxgkData(dg.ConfigurableResource):
    """The data folder: raw/<year>/ input and, beside it, the lake, the warehouse and the docs.

    Empty `data_dir` means $XXGK_DATA_DIR, else `data/`, read when a step runs.
    """

    data_dir: str = ""

    def paths(self) -> DataPaths:
        """The resolved folders."""
        return DataPaths.resolve(self.data_dir or None)
