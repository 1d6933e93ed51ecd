"""Where data lives: one setting, XXGK_DATA_DIR (default `data/`), names the data folder."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "XXGK_DATA_DIR"
# The repository: the dbt project and the suites live beside the package.
PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT_DIR = PROJECT_DIR / "dbt"
SUITES_DIR = PROJECT_DIR / "expectations"
# This environment's bin/: dagster, dbt and xxgk are started from it, not from whatever PATH
# finds first.
BIN_DIR = Path(sys.executable).parent


def path_with_bin() -> str:
    """$PATH with BIN_DIR first: Dagster's code server and dagster-dbt (which parses the dbt
    project on import when its manifest is stale) start `dagster` and `dbt` by name."""
    return os.pathsep.join([str(BIN_DIR), os.environ.get("PATH", "")])


@dataclass(frozen=True)
class DataPaths:
    """The folders and files under one data folder."""

    root: Path

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike | None = None) -> DataPaths:
        """The data folder given, else $XXGK_DATA_DIR, else `data/` (read when called)."""
        chosen = data_dir or os.environ.get(DATA_DIR_ENV) or "data"
        return cls(Path(chosen).expanduser().resolve())

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def manifest(self) -> Path:
        return self.raw / "manifest.csv"

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def warehouse(self) -> Path:
        """The pipeline's own DuckDB file: staging loads, dbt and the checks work here."""
        return self.root / "build" / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        """The warehouse analysts read: a copy of the pipeline's, replaced whole after each
        successful warehouse run."""
        return self.root / "warehouse.duckdb"

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    def year_folders(self) -> list[str]:
        """Reporting years that have a folder under raw/: the partitions."""
        if not self.raw.is_dir():
            return []
        return sorted(p.name for p in self.raw.iterdir() if p.is_dir() and _is_year(p.name))


def _is_year(name: str) -> bool:
    return len(name) == 4 and name.isdigit() and 1990 <= int(name) <= 2100
