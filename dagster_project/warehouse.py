"""The one place that opens the DuckDB warehouse and writes to it.

DuckDB admits one writing process per file, and no reader beside it. So there are two files:
- the pipeline's own (`build/warehouse.duckdb`), which only pipeline steps open. Every step that
  writes it runs in the `duckdb_warehouse` pool (limit 1, see dagster_home/dagster.yaml),
  connections are short-lived, and a writer that still meets a lock waits and retries for a
  bounded time instead of failing at once;
- the published one (`warehouse.duckdb`), which analysts open read-only. A successful warehouse
  run copies the pipeline's file beside it and renames the copy over it: a reader's open
  connection keeps the file it opened, the next connection sees the new one, and the pipeline
  never waits for a reader.
Every write is one transaction, so a killed process leaves the state before it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from dagster_project.faults import crash_point
from dagster_project.paths import DataPaths

POOL = "duckdb_warehouse"
LOCK_WAIT_SECONDS = 120.0
# The schemas of the warehouse (dbt/dbt_project.yml): the loaded tables and bookkeeping in
# main, dbt's views in staging, the analysts' tables in analytics. The pipeline's own
# connections see all three without naming them.
SCHEMAS = ("main", "staging", "analytics")
# DuckDB's memory per connection (and per dbt run: dbt/profiles.yml reads the same variable).
# Past it, joins and aggregations spill to a temporary folder beside the file instead of
# growing with the corpus; DuckDB's own default is 80% of the machine.
MEMORY_ENV = "XXGK_DUCKDB_MEMORY"
DEFAULT_MEMORY = "1GB"


def memory_limit() -> str:
    """The memory limit of the pipeline's DuckDB connections."""
    return os.environ.get(MEMORY_ENV, "").strip() or DEFAULT_MEMORY


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
                str(path),
                read_only=read_only,
                config={"enable_external_access": True, "memory_limit": memory_limit()},
            )
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    present = {
        r[0]
        for r in con.execute(
            "select schema_name from information_schema.schemata"
            " where catalog_name = current_database()"
        ).fetchall()
    }
    con.execute(f"set search_path = '{','.join(s for s in SCHEMAS if s in present)}'")
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


# One row per year loaded: the digest of the input its rows were made from.
LOADS = "xxgk_loads"
# One row: the digest of everything dbt last built the warehouse from (build_inputs).
BUILD = "xxgk_build"


def replace_partition(
    path: Path, year: int, frames: dict[str, pl.DataFrame], source: str | None = None
) -> tuple[dict[str, int], set[str]]:
    """Replace one reporting year's rows of several tables in one transaction, and record
    `source`, the digest of the input they were made from, in xxgk_loads.

    Each frame must have an integer `year` column. A table whose columns changed since it was
    created is recreated empty; the names of those tables are returned so that the caller
    reloads their other years.
    """
    counts: dict[str, int] = {}
    recreated: set[str] = set()
    with transaction(path) as con:
        if source is not None:
            con.execute(
                f"create table if not exists {LOADS} "
                "(year integer primary key, source varchar, loaded_at timestamptz)"
            )
            con.execute(f"insert or replace into {LOADS} values (?, ?, now())", [year, source])
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
            crash_point("warehouse.mid_load")
    return counts, recreated


def _scalar(path: Path, sql: str, params: list, table: str) -> object:
    """One value from a table of a warehouse file, read-only; None if the file or table is
    missing."""
    if not path.exists():
        return None
    with connect(path, read_only=True) as con:
        if not con.execute(
            "select 1 from information_schema.tables where table_name = ?", [table]
        ).fetchall():
            return None
        row = con.execute(sql, params).fetchall()
    return row[0][0] if row else None


def loaded_source(path: Path, year: int) -> str | None:
    """The input digest of the year's rows in the warehouse, if recorded."""
    return _scalar(path, f"select source from {LOADS} where year = ?", [year], LOADS)


def build_inputs(path: Path) -> str:
    """A digest of everything the pipeline's warehouse is built from: each year's input, the
    parser (reference tables), the dbt project and the suites."""
    from dagster_project.paths import DBT_DIR, SUITES_DIR
    from dagster_project.pipeline import parser_version

    digest = hashlib.sha256(parser_version().encode())
    loads = _scalar(
        path, f"select string_agg(year || ':' || source, ',' order by year) from {LOADS}", [], LOADS
    )
    digest.update(str(loads).encode())
    files = [*DBT_DIR.glob("dbt_project.yml"), *SUITES_DIR.glob("*.yml")]
    for folder in ("models", "macros", "tests", "seeds"):
        files += (DBT_DIR / folder).rglob("*.*")
    for file in sorted(files):
        digest.update(file.relative_to(DBT_DIR.parent).as_posix().encode() + file.read_bytes())
    return digest.hexdigest()[:32]


def record_build_inputs(path: Path) -> str:
    """Record build_inputs in the warehouse before dbt builds it (the pool keeps staging
    loads out until the build and the publication are done)."""
    inputs = build_inputs(path)
    with transaction(path) as con:
        con.execute(
            f"create or replace table {BUILD} as select ? as inputs, now() as built_at", [inputs]
        )
    return inputs


def built_inputs(path: Path) -> str | None:
    """build_inputs as recorded when dbt last built this warehouse file."""
    return _scalar(path, f"select inputs from {BUILD}", [], BUILD)


def table_counts(path: Path, tables: list[str], years: list[int] | None = None) -> dict[str, int]:
    """Row counts of some tables (0 where absent), of some years only if given, read-only."""
    if not path.exists():
        return {t: 0 for t in tables}
    where = "" if years is None else " where year in (select unnest(?::int[]))"
    params = [] if years is None else [years]
    with connect(path, read_only=True) as con:
        present = {
            r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
        }
        return {
            t: con.execute(f'select count(*) from "{t}"{where}', params).fetchall()[0][0]
            if t in present
            else 0
            for t in tables
        }


def drop_moved_relations(path: Path, schemas: dict[str, str]) -> list[str]:
    """Drops each relation named in `schemas` (name -> its schema) that stands in another of
    the warehouse's schemas: a model that moved (from main to analytics, say) must leave no
    stale copy behind to shadow it. Returns what was dropped."""
    dropped = []
    with transaction(path) as con:
        found = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables"
            " where table_schema in (select unnest(?::varchar[]))",
            [list(SCHEMAS)],
        ).fetchall()
        for schema, name, kind in found:
            if name in schemas and schemas[name] != schema:
                con.execute(f'drop {"view" if kind == "VIEW" else "table"} "{schema}"."{name}"')
                dropped.append(f"{schema}.{name}")
    return dropped


def quarantined(path: Path, years: list[int]) -> list[tuple]:
    """(year, path, stage, reason) of the files quarantined in some years, read-only."""
    if not path.exists():
        return []
    with connect(path, read_only=True) as con:
        return con.execute(
            "select year, path, stage, reason from quarantine "
            "where year in (select unnest(?::int[])) order by year, path",
            [years],
        ).fetchall()


def replace_tables(path: Path, frames: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Replace whole tables (reference data) in one transaction."""
    with transaction(path) as con:
        for table, frame in frames.items():
            con.register("incoming", frame.to_arrow())
            con.execute(f'create or replace table "{table}" as select * from incoming')
            con.unregister("incoming")
    return {table: frame.height for table, frame in frames.items()}


def working_copy(paths: DataPaths) -> Path:
    """The pipeline's warehouse file. A data folder that has only a published warehouse (its
    layout before the two files) starts from a copy of it, so no loaded year is lost."""
    if not paths.warehouse.exists() and paths.published.exists():
        paths.warehouse.parent.mkdir(parents=True, exist_ok=True)
        _copy_then_rename(paths.published, paths.warehouse)
    return paths.warehouse


def publish(paths: DataPaths) -> int:
    """Replace the analysts' warehouse with the pipeline's, whole; returns its size in bytes.

    The pipeline's file is checkpointed and copied while this holds its write lock (no step
    can change it mid-copy), then the copy is renamed over the published file.
    """
    for stale in paths.published.parent.glob(f".{paths.published.name}.*.tmp"):
        stale.unlink()  # left by a publish that was killed before its rename
    with connect(paths.warehouse) as con:
        con.execute("checkpoint")
        return _copy_then_rename(paths.warehouse, paths.published)


def _copy_then_rename(source: Path, target: Path) -> int:
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    with source.open("rb") as src, tmp.open("wb") as dst:
        shutil.copyfileobj(src, dst, 16 << 20)
        dst.flush()
        os.fsync(dst.fileno())
    crash_point("warehouse.before_rename")
    os.replace(tmp, target)
    return target.stat().st_size
