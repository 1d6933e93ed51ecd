"""The one place that opens the DuckDB warehouse and writes to it.

DuckDB admits one writing process per file. Every Dagster step that writes here runs in the
`duckdb_warehouse` pool (limit 1, see dagster_home/dagster.yaml), and connections are short-lived;
a writer that still meets a lock (an analyst's open connection, another tool) waits and retries
for a bounded time instead of failing at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

POOL = "duckdb_warehouse"
LOCK_WAIT_SECONDS = 120.0


@contextmanager
def connect(
    path: Path, read_only: bool = False, wait_seconds: float = LOCK_WAIT_SECONDS
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file, closed on exit; waits while another process holds
    the lock."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(
                str(path), read_only=read_only, config={"enable_external_access": True}
            )
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write connection inside one transaction: committed on success, rolled back on any
    error, so a killed or failed load leaves the previous state."""
    with connect(path) as con:
        con.execute("begin transaction")
        try:
            yield con
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]] | None:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'main' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    return rows or None


def replace_partition(
    path: Path, year: int, frames: dict[str, pl.DataFrame]
) -> tuple[dict[str, int], set[str]]:
    """Replace one reporting year's rows of several tables in one transaction.

    Each frame must have an integer `year` column. A table whose columns changed since it was
    created is recreated empty; the names of those tables are returned so that the caller
    reloads their other years.
    """
    counts: dict[str, int] = {}
    recreated: set[str] = set()
    with transaction(path) as con:
        for table, frame in frames.items():
            con.register("incoming", frame.to_arrow())
            wanted = con.execute("describe incoming").fetchall()
            existing = _table_columns(con, table)
            if existing != [(name, dtype) for name, dtype, *_ in wanted]:
                if existing is not None:
                    recreated.add(table)
                con.execute(f'drop table if exists "{table}"')
                con.execute(f'create table "{table}" as select * from incoming limit 0')
            con.execute(f'delete from "{table}" where year = ?', [year])
            con.execute(f'insert into "{table}" select * from incoming')
            con.unregister("incoming")
            counts[table] = frame.height
    return counts, recreated


def table_counts(path: Path, tables: list[str]) -> dict[str, int]:
    """Row counts of some tables (0 where absent), read-only."""
    if not path.exists():
        return {t: 0 for t in tables}
    with connect(path, read_only=True) as con:
        present = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
        return {
            t: (con.execute(f'select count(*) from "{t}"').fetchall()[0][0] if t in present else 0)
            for t in tables
        }


def replace_tables(path: Path, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Replace whole tables (reference data) in one transaction."""
    with transaction(path) as con:
        for table, frame in frames.items():
            con.register("incoming", frame.to_arrow())
            con.execute(f'create or replace table "{table}" as select * from incoming')
            con.unregister("incoming")
    return {table: frame.height for table, frame in frames.items()}
