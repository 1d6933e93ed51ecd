"""Shared fixtures: the bundled sample reports, copied into a temporary data folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import settings

from dagster_project.cli import prepare_dagster_home, run_pipeline
from dagster_project.paths import DATA_DIR_ENV, DataPaths

# Property tests: `make test` replays the same examples on every run, so a verdict depends on
# the code alone; `make fuzz` explores new ones (found failures print a reproduce blob).
settings.register_profile("replay", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile("explore", derandomize=False, print_blob=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "replay"))

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_RAW = ROOT / "data" / "raw"
GOLD = Path(__file__).resolve().parent / "gold"


def sample_files() -> list[Path]:
    """The bundled sample reports."""
    return sorted(SAMPLE_RAW.glob("*/*.txt"))


# The real reports' gold files name table-2 values in their own words.
_REAL_T2 = {
    "licensing_decisions": ("licensing", "decisions"),
    "punishment_decisions": ("penalty", "decisions"),
    "coercion_decisions": ("enforcement", "decisions"),
}
_REAL_T2_MEASURES = {"made": "issued", "repealed": "repealed", "valid": "in_force"}


def gold_for(report: Path) -> dict:
    """The gold values of a sample report, in the contract's shape."""
    gold = json.loads((GOLD / f"{report.stem}.json").read_text(encoding="utf-8"))
    t2 = gold.get("table2")
    if t2 and "licensing_decisions" in t2:
        shaped: dict[str, dict] = {}
        for item in ("regulations", "normative_documents"):
            shaped[item] = {_REAL_T2_MEASURES[k]: v for k, v in t2[item].items()}
        for key, (item, measure) in _REAL_T2.items():
            shaped[item] = {measure: t2[key]}
        shaped["fees"] = {"amount_yuan": int(Decimal(str(t2["fees_wan_yuan"])) * 10000)}
        gold["table2"] = shaped
        gold.setdefault("tables_present", {t: True for t in ("table2", "table3", "table4")})
    return gold


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataPaths:
    """A temporary data folder holding a copy of the sample reports; XXGK_DATA_DIR points at
    it and DAGSTER_HOME at a fresh instance inside it."""
    root = tmp_path / "data"
    shutil.copytree(SAMPLE_RAW, root / "raw")
    monkeypatch.setenv(DATA_DIR_ENV, str(root))
    paths = DataPaths.resolve(root)
    monkeypatch.setenv("DAGSTER_HOME", str(prepare_dagster_home(paths)))
    return paths


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DataPaths, dict]]:
    """A warehouse built once per test worker from the samples by `xxgk run` (ingest, dbt
    build, checks). Tests that change it work on a copy (`warehouse_copy`)."""
    root = tmp_path_factory.mktemp("built") / "data"
    shutil.copytree(SAMPLE_RAW, root / "raw")
    paths = DataPaths.resolve(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DATA_DIR_ENV, str(root))
        mp.setenv("DAGSTER_HOME", str(prepare_dagster_home(paths)))
        results = run_pipeline(paths, log_level="ERROR")
        yield paths, results


def warehouse_copy(paths: DataPaths, tmp: Path) -> DataPaths:
    """A data folder under `tmp` holding a copy of `paths`' warehouse (and its raw files)."""
    copy = DataPaths.resolve(tmp / "copy")
    shutil.copytree(paths.raw, copy.raw)
    copy.warehouse.parent.mkdir(parents=True)
    shutil.copy(paths.warehouse, copy.warehouse)
    return copy


DBT = str(Path(sys.executable).with_name("dbt"))


def dbt_in_folder(paths: DataPaths, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    """dbt run from the dbt/ folder alone, on a given warehouse."""
    env = {
        **os.environ,
        "XXGK_WAREHOUSE": str(paths.warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    return subprocess.run(
        [
            DBT,
            *args,
            "--profiles-dir",
            ".",
            "--target-path",
            str(tmp / "target"),
            "--log-path",
            str(tmp / "logs"),
        ],
        cwd=ROOT / "dbt",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
