"""Splitting digit runs that crawled text glued together, only where identities allow."""

from __future__ import annotations

from dagster_project.cli import parse_files
from dagster_project.parsing.glued import runs_of, split_runs
from tests.conftest import SAMPLE_RAW

ROW = [(0, 6)]
T4 = [(0, 4), (5, 4), (10, 4)]


def test_the_issue_example_has_one_reading() -> None:
    assert split_runs(runs_of("230 000023"), ROW) == [(23, 0, 0, 0, 0, 0, 23)]


def test_no_leading_zeros_and_no_reading_when_the_row_does_not_add_up() -> None:
    assert split_runs(runs_of("0000000"), ROW) == [(0,) * 7]
    assert split_runs(runs_of("170000018"), ROW) == []


def test_several_readings_are_all_returned() -> None:
    readings = split_runs(runs_of("16302159110183733318291"), ROW)
    assert (16302, 1591, 10, 18, 37, 333, 18291) in readings and len(readings) == 2


def test_table4_groups() -> None:
    assert split_runs(runs_of("11002100012010 3"), T4) == [
        (1, 1, 0, 0, 2, 1, 0, 0, 0, 1, 2, 0, 1, 0, 3)
    ]


def test_too_many_readings_give_none() -> None:
    assert split_runs(runs_of("16302159110183733318291"), ROW, limit=1) is None


def test_a_whole_real_table_glued_on_one_line() -> None:
    """广州市人民政府 2020 with every row's cells run together: the column identities pick
    the one reading of the rows the row identity alone leaves open."""
    text = (SAMPLE_RAW / "2020" / "guangzhou-municipal-government-2020.txt").read_text()
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("三、收到和处理"))
    end = next(i for i, line in enumerate(lines) if line.startswith("四、政府信息公开行政复议"))
    rows = [line for line in lines[start + 1 : end] if line.strip()]
    glued = "".join(cell for line in rows for cell in line.split("\t"))
    one_line = "\n".join([*lines[: start + 1], glued, *lines[end:]])
    got = parse_files([("gz.txt", one_line.encode())])[0]
    assert got["table3"]["new_received"] == [16302, 1591, 10, 18, 37, 333, 18291]
    assert got["table3"]["total"] == [16266, 1645, 11, 20, 37, 347, 18326]
    cells = [v for row in got["table3"].values() for v in row]
    assert None not in cells
    assert any(i["code"] == "cells_split" for i in got["issues"])
