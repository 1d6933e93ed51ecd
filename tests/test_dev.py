"""`xxgk dev` (behind `make dev`): the real Dagster UI on localhost, driven through its API."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dagster_project.paths import DataPaths

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("heavy")]
XXGK = str(Path(sys.executable).with_name("xxgk"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


def wait(until: callable, timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if result := until():
                return result
        except OSError:
            pass
        time.sleep(2)
    raise TimeoutError(what)


@contextmanager
def process_group(command: list[str], **popen: object) -> Iterator[None]:
    """A command in a process group of its own until the block ends, then the whole group
    stopped: make, xxgk dev, dagster dev and its webserver, daemon and code server."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        **popen,
    )
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def dagster_ui(data_dir: DataPaths) -> Iterator[int]:
    """`xxgk dev` on free ports until the block ends; yields the UI's port."""
    port = free_port()
    ports = ["--port", str(port), "--docs-port", str(free_port())]
    with process_group([XXGK, "dev", "--data-dir", str(data_dir.root), *ports]):
        yield port


def test_ui_shows_the_graph_and_runs_a_partition(data_dir: DataPaths) -> None:
    # One year only: the sensor, running by default, requests a run for it too.
    for year in ("2020", "2023", "2024"):
        shutil.rmtree(data_dir.raw / year)
    with dagster_ui(data_dir) as port:
        nodes = wait(
            lambda: (
                graphql(port, "{ assetNodes { assetKey { path } partitionKeys } }")["assetNodes"]
                or None
            ),
            240,
            "the UI did not list the assets",
        )
        keys = {"/".join(n["assetKey"]["path"]): n["partitionKeys"] for n in nodes}
        assert {"raw_reports", "stg_reports", "dim_report", "mart_agency_year"} <= set(keys)
        launched = graphql(
            port,
            """
            mutation($p: ExecutionParams!) {
              launchRun(executionParams: $p) {
                __typename ... on LaunchRunSuccess { run { runId } }
              }
            }""",
            {
                "p": {
                    "selector": {
                        "repositoryLocationName": "dagster_project.definitions",
                        "repositoryName": "__repository__",
                        "jobName": "xxgk_ingest",
                    },
                    "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "2022"}]},
                }
            },
        )["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        run_id = launched["run"]["runId"]
        query = f'{{ runOrError(runId: "{run_id}") {{ ... on Run {{ status }} }} }}'
        status = wait(
            lambda: (
                (s := graphql(port, query)["runOrError"]["status"])
                in ("SUCCESS", "FAILURE", "CANCELED")
                and s
            ),
            300,
            "the run launched from the UI did not finish",
        )
        assert status == "SUCCESS"
