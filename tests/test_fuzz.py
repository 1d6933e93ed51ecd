"""Fuzzing the ingest → parse path: arbitrary bytes, and reports mutated line by line.

No exception may escape, and a mutation may cost cells but never invent one: every cell is
either the report's own value or null with an issue saying why.
"""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.cli import parse_files
from dagster_project.parsing.decode import MAX_LINE_CHARS
from dagster_project.synth import compare, generate
from tests.conftest import sample_files

# `make fuzz` multiplies every example budget.
SCALE = int(os.environ.get("XXGK_FUZZ_SCALE", "1"))
SAMPLES = [(p.name, p.read_bytes()) for p in sample_files()]
NOISE = ("第3页 共9页", "（续上表）", "单位：件", "12", "— 5 —", "附件", "  ", "表格说明：2、3")


@settings(max_examples=150 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=3000), min_size=1, max_size=5))
def test_arbitrary_bytes_never_raise(blobs: list[bytes]) -> None:
    objects = parse_files([(f"f{i}", b) for i, b in enumerate(blobs)])
    assert len(objects) == len(blobs)
    for obj in objects:
        # an unreadable file says so; a readable one carries the contract's keys
        assert "issues" in obj and "tables_present" in obj


def _mutate(text: str, rng: random.Random, kind: str) -> str:
    lines = text.splitlines()
    i = rng.randrange(len(lines))
    if kind == "delete":
        del lines[i]
    elif kind == "noise":
        lines.insert(i, rng.choice(NOISE))
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "truncate":
        lines = lines[:i]
    return "\n".join(lines) + "\n"


@settings(max_examples=200 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    kind=st.sampled_from(["delete", "noise", "duplicate", "truncate"]),
    mutation_seed=st.integers(0, 10**6),
)
def test_mutated_reports_lose_cells_but_never_invent_them(
    seed: int, kind: str, mutation_seed: int
) -> None:
    report = generate(seed, violation_rate=0.0)
    text = _mutate(report.text, random.Random(mutation_seed), kind)
    (parsed,) = parse_files([("mutated.txt", text.encode("utf-8"))])
    wrong, missing = compare(report.truth, parsed)
    wrong = [w for w in wrong if w not in ("agency", "year", "format")]
    if kind == "duplicate":
        # a repeated line may repeat a row: its values are the report's own, printed twice
        wrong = []
    assert not wrong, (kind, wrong[:5], report.layout)
    if missing:
        assert parsed["issues"], "cells were left null without an issue saying why"


def test_a_three_row_table_cut_two_rows_short_is_not_read_as_the_single_row_form() -> None:
    # 25 rows less total and carried_forward leave the 23-row count of the single-row form:
    # assigning by position would shift the （六） rows into total and carried_forward.
    report = next(
        r
        for r in map(generate, range(500))
        if r.truth["format"] == "2021" and r.layout == "markdown"
    )
    lines = report.text.splitlines()
    # in markdown the row after 2.…缴纳费用 is 3.其他, the last row before 总计
    cut = next(i for i, line in enumerate(lines) if "缴纳费用" in line) + 2
    (parsed,) = parse_files([("cut.txt", ("\n".join(lines[:cut]) + "\n").encode())])
    wrong, missing = compare(report.truth, parsed)
    assert not [w for w in wrong if w.startswith("table3")]
    assert {m.split(".")[1] for m in missing if m.startswith("table3")} == {
        "total",
        "carried_forward",
    }
    assert any(i["code"] == "cell_count" for i in parsed["issues"])


@settings(max_examples=60 * SCALE, deadline=None)
@given(
    sample=st.sampled_from(SAMPLES),
    swap=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)),
)
def test_swapped_lines_of_real_reports_never_raise(
    sample: tuple[str, bytes], swap: tuple[int, int]
) -> None:
    name, data = sample
    lines = data.decode("utf-8").splitlines()
    i, j = (k % len(lines) for k in swap)
    lines[i], lines[j] = lines[j], lines[i]
    (parsed,) = parse_files([(name, "\n".join(lines).encode("utf-8"))])
    for row in (parsed.get("table3") or {}).values():
        assert all(v is None or (isinstance(v, int) and v >= 0) for v in row)


def test_a_long_line_is_bounded() -> None:
    line = "1" * (MAX_LINE_CHARS + 1)
    (parsed,) = parse_files([("long.txt", line.encode())])
    assert parsed["table3"] is None
    assert any("line too long" in i["message"] for i in parsed["issues"])
