"""The Parquet lake: one dataset per table, hive-partitioned by reporting year.

Tables written together (one stage's output for a year) carry one generation id in their
Parquet metadata, so a reader can tell a complete set from one a killed run left half-written,
and the digest of the year's input they were made from, so a stage can tell it has nothing new
to do.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import polars as pl

from dagster_project.faults import crash_point

GENERATION = "xxgk_generation"
SOURCE = "xxgk_source"


class TornWrite(RuntimeError):
    """Tables of one year that should come from one write come from different ones."""


def partition_file(lake: Path, table: str, year: str) -> Path:
    """The Parquet file holding one year of one table."""
    return lake / table / f"year={year}" / "data.parquet"


def write_partition(
    lake: Path, table: str, year: str, frame: pl.DataFrame, metadata: dict[str, str] | None = None
) -> Path:
    """Replace one year of one table; readers see the old file or the new one, never half."""
    target = partition_file(lake, table, year)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    frame.write_parquet(tmp, metadata=metadata)
    os.replace(tmp, target)
    return target


def write_partitions(
    lake: Path, year: str, frames: dict[str, pl.DataFrame], source: str = ""
) -> str:
    """Replace one year of several tables, all stamped with one new generation id and the
    digest of the input they were made from."""
    generation = uuid.uuid4().hex
    for i, (table, frame) in enumerate(frames.items()):
        if i == 1:
            crash_point("lake.mid_write")
        write_partition(lake, table, year, frame, {GENERATION: generation, SOURCE: source})
    return generation


def read_partition(lake: Path, table: str, year: str) -> pl.DataFrame:
    """One year of one table; raises FileNotFoundError naming the upstream asset to run."""
    path = partition_file(lake, table, year)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: materialise the upstream asset for {year}")
    return pl.read_parquet(path)


def _stamps(lake: Path, year: str, tables: list[str]) -> set[tuple[str | None, str | None]]:
    """(generation, source) of each table present; raises TornWrite when they differ (a run
    was killed between two of them)."""
    stamps = set()
    for table in tables:
        path = partition_file(lake, table, year)
        if path.exists():
            meta = pl.read_parquet_metadata(path)
            stamps.add((meta.get(GENERATION), meta.get(SOURCE)))
    if len(stamps) > 1:
        raise TornWrite(
            f"lake tables {', '.join(tables)} of {year} come from different runs (one was "
            "stopped while writing them): materialise that year again"
        )
    return stamps


def read_partitions(lake: Path, year: str, tables: list[str]) -> dict[str, pl.DataFrame]:
    """One year of tables written together by write_partitions; raises TornWrite when they are
    not all of one generation."""
    _stamps(lake, year, tables)
    return {t: read_partition(lake, t, year) for t in tables}


def source_of(lake: Path, year: str, tables: list[str]) -> str | None:
    """The input digest a whole set of tables was made from; None if any is missing, the set
    is torn or it carries no digest."""
    try:
        stamps = _stamps(lake, year, tables)
    except TornWrite:
        return None
    if len(stamps) != 1 or not all(partition_file(lake, t, year).exists() for t in tables):
        return None
    ((_, source),) = stamps
    return source or None
