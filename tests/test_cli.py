"""The `xxgk` command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from dagster_project.cli import LAST_BUILD
from dagster_project.paths import DataPaths
from tests.conftest import SAMPLE_RAW, gold_for

XXGK = str(Path(sys.executable).with_name("xxgk"))
GZ = SAMPLE_RAW / "2020" / "guangzhou-municipal-government-2020.txt"


def xxgk(
    *args: str, stdin: bytes | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run([XXGK, *args], input=stdin, capture_output=True, timeout=300, env=env)


def test_parse_json_lines_follow_the_contract() -> None:
    files = sorted(SAMPLE_RAW.glob("*/*.txt"))
    out = xxgk("parse", "--json", *map(str, files))
    assert out.returncode == 0, out.stderr
    objects = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert [o["file"] for o in objects] == [str(f) for f in files]
    for obj, file in zip(objects, files, strict=True):
        gold = gold_for(file)
        assert (obj["agency"], obj["year"], obj["format"]) == (
            gold["agency"],
            gold["year"],
            gold["format"],
        )
        assert obj["table3"] == gold["table3"] and obj["table4"] == gold["table4"]
        assert len(obj["sha256"]) == 64
        assert set(obj) >= {"tables_present", "table2", "narrative", "issues"}


def test_parse_reads_standard_input() -> None:
    out = xxgk("parse", "--json", "-", stdin=GZ.read_bytes())
    [obj] = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert obj["file"] == "-" and obj["table3"]["new_received"][-1] == 18291


def test_parse_text_rendering() -> None:
    out = xxgk("parse", str(GZ))
    text = out.stdout.decode()
    assert out.returncode == 0
    assert "agency: 广州市人民政府" in text and "| new_received 一、本年新收" in text
    assert "18291" in text and "## Issues (0)" in text


def test_parse_missing_file_is_a_clear_error() -> None:
    out = xxgk("parse", "/nonexistent/report.txt")
    assert out.returncode == 2 and b"No such file" in out.stderr


def test_run_prints_a_summary(data_dir: DataPaths) -> None:
    import os

    out = xxgk("run", "--data-dir", str(data_dir.root), env={**os.environ})
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    summary = out.stdout.decode().splitlines()[0]
    assert summary == (
        "files: 8 · reports parsed: 8 · quarantined: 0 · "
        "reports identity broken: 2 · reports with all tables: 7"
    )
    assert data_dir.warehouse.exists() and data_dir.published.exists()
    assert out.stdout.decode().splitlines()[-2] == f"warehouse: {data_dir.published}"
    # nothing changed: no year is rewritten, the warehouse is neither rebuilt nor republished
    published = data_dir.published.stat().st_mtime_ns
    again = xxgk("run", "--data-dir", str(data_dir.root), env={**os.environ})
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    lines = again.stdout.decode().splitlines()
    assert lines[0] == summary
    assert lines[-2] == (
        f"warehouse: {data_dir.published} (unchanged: its inputs are those of the last build)"
    )
    # the verdicts of the last build are shown again, not lost
    assert (
        "    WARN report_identities on dim_report: T3-2 broken in 温州市统计局 2020;"
        in "\n".join(lines)
    )
    assert data_dir.published.stat().st_mtime_ns == published
    # a last build that a check stopped from publishing stays a failure until its inputs change
    record = data_dir.warehouse.with_name(LAST_BUILD)
    record.write_text(json.dumps({**json.loads(record.read_text()), "published": False}))
    blocked = xxgk("run", "--data-dir", str(data_dir.root), env={**os.environ})
    assert blocked.returncode == 1
    assert (
        blocked.stdout.decode()
        .splitlines()[-2]
        .endswith("(not replaced: a check failed with ERROR on these inputs)")
    )
    assert data_dir.published.stat().st_mtime_ns == published


def test_synth_writes_reports_and_their_truth(tmp_path: Path) -> None:
    out = xxgk("synth", "--out", str(tmp_path), "--reports", "30", "--violation-rate", "0.5")
    assert out.returncode == 0, out.stderr
    truths = [json.loads(line) for line in (tmp_path / "truth.jsonl").read_text().splitlines()]
    files = sorted(tmp_path.glob("*/*.txt"))
    assert len(truths) == len(files) == 30
    assert {t["file"] for t in truths} == {str(f.relative_to(tmp_path)) for f in files}
    assert all(f.parent.name == str(t["year"]) for t in truths for f in [tmp_path / t["file"]])
    assert 5 <= sum(t["violated"] for t in truths) <= 25
