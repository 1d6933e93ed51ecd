"""The Parquet lake: one dataset per table, hive-partitioned by reporting year."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import polars as pl


def partition_file(lake: Path, table: str, year: str) -> Path:
    """The Parquet file holding one year of one table."""
    return lake / table / f"year={year}" / "data.parquet"


def write_partition(lake: Path, table: str, year: str, frame: pl.DataFrame) -> Path:
    """Replace one year of one table; readers see the old file or the new one, never half."""
    target = partition_file(lake, table, year)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    frame.write_parquet(tmp)
    os.replace(tmp, target)
    return target


def read_partition(lake: Path, table: str, year: str) -> pl.DataFrame:
    """One year of one table; raises FileNotFoundError naming the upstream asset to run."""
    path = partition_file(lake, table, year)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: materialise the upstream asset for {year}")
    return pl.read_parquet(path)
