"""Splitting digit runs that crawled text glued together, only where identities allow."""

from __future__ import annotations

import itertools

from hypothesis import assume, given
from hypothesis import strategies as st

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


def test_table4_cells_all_readings_agree_on_are_read_and_the_others_null() -> None:
    """Table 4 run together where the identities leave two readings of its last group
    (81 8 0 0 89 or 8 1 80 0 89): the first two groups and the cells both readings share are
    read; the three they disagree on stay null, with an issue naming the readings."""
    text = (SAMPLE_RAW / "2020" / "guangzhou-municipal-government-2020.txt").read_text()
    printed = "273\t62\t68\t68\t471\t104\t27\t43\t24\t198\t32\t10\t10\t8\t60"
    assert printed in text
    got = parse_files([("gz.txt", text.replace(printed, "40 1270016756 00 0 56 8180089").encode())])
    assert got[0]["table4"] == [40, 127, 0, 0, 167, 56, 0, 0, 0, 56, None, None, None, 0, 89]
    issue = next(i for i in got[0]["issues"] if i["message"].startswith("table 4"))
    assert issue["code"] == "ambiguous_cells"
    assert "81 8 0 0 89" in issue["message"] and "8 1 80 0 89" in issue["message"]


def _every_reading(runs: list[str], groups: list[tuple[int, int]]) -> list[tuple[int, ...]]:
    """The readings by brute force: every choice of cut points inside the runs that makes
    the right number of cells, kept if no cell has a leading zero and every group adds up."""
    n_cells = groups[-1][0] + groups[-1][1] + 1
    text = "".join(runs)
    bounds = list(itertools.accumulate(len(r) for r in runs))
    inside = [i for i in range(1, len(text)) if i not in bounds and text[i - 1 : i + 1].isdigit()]
    readings = []
    for cuts in itertools.combinations(inside, n_cells - len(runs)):
        edges = sorted([0, *bounds, *cuts])
        pieces = [text[a:b] for a, b in itertools.pairwise(edges)]
        if any(len(p) > 1 and p[0] == "0" for p in pieces):
            continue
        cells = tuple(int(p) if p.isdigit() else 0 for p in pieces)
        if all(sum(cells[s : s + n]) == cells[s + n] for s, n in groups):
            readings.append(cells)
    return readings


@given(
    cells=st.lists(
        st.one_of(st.integers(0, 9), st.integers(0, 40), st.integers(0, 2000), st.just("—")),
        min_size=7,
        max_size=15,
    ),
    joins=st.lists(st.sampled_from(["", "", " "]), min_size=15, max_size=15),
    table4=st.booleans(),
)
def test_the_pruned_search_finds_exactly_the_readings_of_the_brute_force(
    cells: list, joins: list[str], table4: bool
) -> None:
    """The cuts (digit sums modulo 9, lengths, runs) never lose a reading nor add one."""
    groups = T4 if table4 else ROW
    n = groups[-1][0] + groups[-1][1] + 1
    cells = (cells * 3)[:n]
    for start, n_parts in groups:  # most rows add up, some do not
        parts = [c for c in cells[start : start + n_parts] if isinstance(c, int)]
        if cells[start + n_parts] != "—" and len(parts) % 3:
            cells[start + n_parts] = sum(parts)
    text = "".join(f"{c}{j}" for c, j in zip(cells, joins, strict=False))
    runs = runs_of(text)
    assume(sum(len(r) for r in runs) <= 24)  # keep the brute force small
    assert sorted(split_runs(runs, groups, limit=10**6)) == sorted(_every_reading(runs, groups))
