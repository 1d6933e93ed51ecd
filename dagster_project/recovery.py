"""Runs left behind by a killed `xxgk run`.

A process killed with SIGKILL never reports its run's end: Dagster keeps the run STARTED and
its step keeps the `duckdb_warehouse` pool slot, so every later run would wait for that slot
forever. `xxgk run` tags each run with the process that executes it; before starting, it marks
the runs whose process is gone as failed and frees their slots.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import FINISHED_STATUSES, RunsFilter

PROCESS_TAG = "xxgk/process"
UNFINISHED = [
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def process_id(pid: int | None = None) -> str:
    """host:pid:start time of a process (start time from /proc, so that a recycled pid is not
    taken for the process that had it before); "?" where the start time cannot be read."""
    pid = os.getpid() if pid is None else pid
    try:
        start = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        start = "?"
    return f"{socket.gethostname()}:{pid}:{start}"


def is_alive(process: str) -> bool:
    """Whether the process a tag names still runs; a process on another host counts as alive
    (this one cannot tell)."""
    host, pid, _ = process.rsplit(":", 2)
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return process_id(int(pid)) == process


def fail_orphaned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark as failed every unfinished run whose process is gone and return their ids; free
    the pool slots of every run that is not running (those, and runs that ended or were never
    recorded)."""
    orphaned = []
    for record in instance.get_run_records(filters=RunsFilter(statuses=UNFINISHED)):
        run = record.dagster_run
        process = run.tags.get(PROCESS_TAG)
        if process and not is_alive(process):
            instance.report_run_failed(
                run, f"the process that ran it ({process}) was killed before the run ended"
            )
            orphaned.append(run.run_id)
    storage = instance.event_log_storage
    holders = (
        storage.get_concurrency_run_ids() if storage.supports_global_concurrency_limits else set()
    )
    if holders:
        running = {
            r.dagster_run.run_id
            for r in instance.get_run_records(filters=RunsFilter(run_ids=list(holders)))
            if r.dagster_run.status not in FINISHED_STATUSES
        }
        for run_id in holders - running:
            storage.free_concurrency_slots_for_run(run_id)
    return orphaned
