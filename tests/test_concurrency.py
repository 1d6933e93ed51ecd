"""Crashes and concurrency with the real Dagster, DuckDB and dbt in a temporary data folder.

- `xxgk run` killed with SIGKILL in the middle of a partition's lake write, of the DuckDB load
  and of the publish: each kill leaves the previous state, and the next run completes with no
  duplicate and no half-written year.
- A backfill of every year launched through the UI's API and run by its daemon with the
  multiprocess executor, then the warehouse job, with an analyst holding a read-only
  connection to the published warehouse all along: no run meets a lock, and the analyst's
  answers never change under them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.cli import run_pipeline
from dagster_project.faults import ENV as CRASH_ENV
from dagster_project.lake import TornWrite
from dagster_project.partitions import year_partitions
from dagster_project.paths import DataPaths
from dagster_project.pipeline import WAREHOUSE_TABLES, staging_frames
from dagster_project.synth import generate
from tests.test_assets import BIN, YEARS, counts_by_year
from tests.test_dev import dagster_ui, graphql, wait

pytestmark = pytest.mark.slow

LOCATION = ["-m", "dagster_project.definitions"]
INGEST = ["raw_reports", "normalized_reports", "parsed_reports", *WAREHOUSE_TABLES]
KEYS = {
    "raw_files": "path",
    "stg_reports": "report_id",
    "stg_table3_cells": "report_id, row_key, col_key",
    "stg_table4_cells": "report_id, channel, outcome",
    "analytics.dim_report": "report_id",
}


def xxgk_run(paths: DataPaths, *args: str, crash_at: str | None = None) -> int:
    """`xxgk run` in its own process, as a user starts it; killed at `crash_at` if given."""
    env = {**os.environ, "XXGK_DATA_DIR": str(paths.root)}
    env.pop(CRASH_ENV, None)
    if crash_at:
        env[CRASH_ENV] = crash_at
    out = subprocess.run(
        [sys.executable, "-m", "dagster_project.cli", "run", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if crash_at is None:
        assert out.returncode == 0, out.stderr[-3000:]
    return out.returncode


def duplicates(path: Path) -> dict[str, int]:
    """Rows beyond the first per key, by table."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            table: con.execute(
                f"select count(*) - count(distinct ({key})) from {table}"
            ).fetchall()[0][0]
            for table, key in KEYS.items()
        }


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_killed_runs_leave_the_previous_state_and_the_next_run_completes(
    built: tuple[DataPaths, dict], tmp_path: Path
) -> None:
    before, _ = built
    paths = DataPaths.resolve(tmp_path / "data")
    shutil.copytree(before.root, paths.root, ignore=shutil.ignore_patterns("dagster_home"))
    published = sha(paths.published)
    old = counts_by_year(paths)
    # A new report in 2020, so that every stage of that year has something new to write.
    (paths.raw / "2020" / "new report.txt").write_text(generate(7).text, encoding="utf-8")

    # 1. Killed between two lake tables of the ingest step: the year's lake is torn, and
    #    nothing downstream reads it as if it were whole.
    assert xxgk_run(paths, "--years", "2020", crash_at="lake.mid_write") == -signal.SIGKILL
    with pytest.raises(TornWrite):
        staging_frames(paths.lake, "2020")
    assert counts_by_year(paths) == old

    # 2. Killed inside the DuckDB transaction, after the first table of 2020 was replaced:
    #    every table still holds the year as it was.
    assert xxgk_run(paths, "--years", "2020", crash_at="warehouse.mid_load") == -signal.SIGKILL
    assert counts_by_year(paths) == old

    # 3. Killed after the whole pipeline ran, while publishing: the analysts' file is untouched
    #    and the half-made copy is all that is left.
    assert xxgk_run(paths, crash_at="warehouse.before_rename") == -signal.SIGKILL
    assert sha(paths.published) == published
    assert list(paths.root.glob(".warehouse.duckdb.*.tmp"))

    # The next run completes: the killed runs are marked failed and free the warehouse pool,
    # and the warehouse holds every file once.
    xxgk_run(paths)
    new = counts_by_year(paths)
    assert new["raw_files"][0] == (2020, old["raw_files"][0][1] + 1)
    assert new["stg_reports"][0] == (2020, old["stg_reports"][0][1] + 1)
    assert new["raw_files"][1:] == old["raw_files"][1:]
    assert duplicates(paths.warehouse) == dict.fromkeys(KEYS, 0)
    assert duplicates(paths.published) == dict.fromkeys(KEYS, 0)
    assert sha(paths.published) != published
    assert not list(paths.root.glob(".warehouse.duckdb.*.tmp"))
    with dg.DagsterInstance.from_config(str(paths.dagster_home)) as instance:
        statuses = [r.status for r in instance.get_runs()]
    assert statuses.count(dg.DagsterRunStatus.FAILURE) == 3  # the three killed runs
    assert dg.DagsterRunStatus.STARTED not in statuses


class Analyst(threading.Thread):
    """Holds one read-only connection to the published warehouse and asks the same question
    until stopped, keeping every distinct answer and every error."""

    QUESTION = """
        select r.year, count(distinct r.report_id), sum(f.applications)
        from analytics.dim_report r join analytics.fct_application_outcomes f using (report_id)
        group by 1 order by 1
    """

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.con = duckdb.connect(str(path), read_only=True)
        self.answers: list[list[tuple]] = []
        self.errors: list[str] = []
        self.asked = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            try:
                answer = self.con.execute(self.QUESTION).fetchall()
            except duckdb.Error as exc:
                self.errors.append(str(exc))
                continue
            self.asked += 1
            if answer not in self.answers:
                self.answers.append(answer)


@pytest.mark.xdist_group("heavy")
def test_backfill_with_the_ui_open_and_an_analyst_reading(data_dir: DataPaths) -> None:
    # The analysts' warehouse as a first run of 2020 published it.
    assert run_pipeline(data_dir, ["2020"], log_level="ERROR")["warehouse"].success
    instance = dg.DagsterInstance.get()
    first = {r.run_id for r in instance.get_runs()}
    analyst = Analyst(data_dir.published)
    analyst.start()

    # The sensors would add runs of their own (a warehouse run after each ingest run): stop
    # them before the UI's daemon starts, so the runs are the backfill's and one warehouse run.
    for sensor in ("raw_files_sensor", "warehouse_after_ingest"):
        dagster(["sensor", "stop", sensor, *LOCATION])
    try:
        with dagster_ui(data_dir) as port:
            run_backfill(port, instance, first)
            runs = wait_for_runs(instance, len(first) + 2, timeout=600)
    finally:
        analyst.stop.set()
        analyst.join()
        # DuckDB shares one database per path within a process: close the analyst's before
        # opening the published file anew.
        analyst.con.close()

    runs = [r for r in runs if r.run_id not in first]
    (backfill,) = [r for r in runs if r.job_name != "xxgk_warehouse"]
    assert (
        backfill.tags["dagster/asset_partition_range_start"],
        backfill.tags["dagster/asset_partition_range_end"],
    ) == (YEARS[0], YEARS[-1])
    assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs), [
        (r.job_name, r.tags.get("dagster/partition"), r.status) for r in runs
    ]
    lock_errors = [
        e.message
        for r in runs
        for e in instance.all_logs(r.run_id)
        if "lock" in (e.message or "").lower() and "pool" not in (e.message or "")
    ]
    assert lock_errors == []
    # The analyst asked all along, never failed, and always got the 2020-only answer; a new
    # connection sees every year.
    assert analyst.asked > 10 and analyst.errors == []
    assert len(analyst.answers) == 1 and [y for y, *_ in analyst.answers[0]] == [2020]
    with duckdb.connect(str(data_dir.published), read_only=True) as con:
        years = con.execute("select distinct year from analytics.dim_report order by 1").fetchall()
    assert [y for (y,) in years] == [int(y) for y in YEARS]
    assert duplicates(data_dir.published) == dict.fromkeys(KEYS, 0)


def dagster(args: list[str]) -> None:
    """A dagster CLI call; once more if the first fails (its code server may start slowly on a
    busy machine), then fail with its output."""
    for _ in range(2):
        out = subprocess.run(
            [str(BIN / "dagster"), *args], capture_output=True, text=True, timeout=300
        )
        if out.returncode == 0:
            return
    raise AssertionError(
        f"dagster {' '.join(args)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}"
    )


def wait_for_runs(instance: dg.DagsterInstance, n: int, timeout: float) -> list[dg.DagsterRun]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = instance.get_runs()
        if len(runs) >= n and all(r.is_finished for r in runs):
            return runs
        time.sleep(2)
    raise TimeoutError(
        f"runs not finished after {timeout} s: "
        f"{[(r.tags.get('dagster/partition'), r.status) for r in runs]}"
    )


def run_backfill(port: int, instance: dg.DagsterInstance, first: set[str]) -> None:
    """Every year of the ingest and staging assets through the UI's API (their backfill policy
    makes it one run over all years, each step in its own process), then the warehouse job."""
    wait(
        lambda: graphql(port, "{ assetNodes { id } }")["assetNodes"],
        240,
        "the UI did not answer",
    )
    instance.add_dynamic_partitions(year_partitions.name, YEARS)
    launched = graphql(
        port,
        """
        mutation($p: LaunchBackfillParams!) {
          launchPartitionBackfill(backfillParams: $p) {
            __typename ... on PythonError { message }
          }
        }""",
        {"p": {"partitionNames": YEARS, "assetSelection": [{"path": [a]} for a in INGEST]}},
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    wait_for_runs(instance, len(first) + 1, timeout=600)
    dagster(["job", "launch", "-j", "xxgk_warehouse", *LOCATION])
