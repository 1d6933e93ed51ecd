"""Parser behaviour on damaged input: every cell is right or null with an issue; no exception."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dagster_project.cli import parse_files
from dagster_project.parsing import stream
from tests.conftest import SAMPLE_RAW, gold_for

GZ = SAMPLE_RAW / "2020" / "guangzhou-municipal-government-2020.txt"
GZ_TEXT = GZ.read_text(encoding="utf-8")


def parse_text(text: str) -> dict:
    return parse_files([("x.txt", text.encode("utf-8"))])[0]


def test_cells_carry_their_source_line() -> None:
    import polars as pl

    from dagster_project.parsing.normalize import normalize_frame
    from dagster_project.parsing.parse import parse_batch

    docs = normalize_frame(pl.DataFrame({"doc_id": ["a"], "original": [GZ_TEXT]}))
    cells = parse_batch(docs).table3
    lines = GZ_TEXT.split("\n")
    for raw, line in cells.select("raw", "line").iter_rows():
        assert re.search(rf"(^|\s){re.escape(raw)}(\s|$)", lines[line - 1])


def test_a_lost_row_is_missing_not_guessed() -> None:
    damaged = GZ_TEXT.replace("2.重复申请\t572\t19\t0\t0\t1\t6\t598", "2.重复申请")
    assert damaged != GZ_TEXT
    got, gold = parse_text(damaged), gold_for(GZ)
    assert got["table3"]["rejected_repeat"] == [None] * 7
    for row, values in gold["table3"].items():
        for got_v, gold_v in zip(got["table3"][row], values, strict=True):
            assert got_v is None or got_v == gold_v, row
    codes = {(i["code"], i["rule"]) for i in got["issues"]}
    assert ("cell_count", "S-1") in codes and ("cell_missing", "S-1") in codes


def test_table4_with_too_few_cells_is_null_with_issue() -> None:
    damaged = GZ_TEXT.replace("273\t62\t68\t68\t471\t", "273\t62\t68\t68\t")
    got = parse_text(damaged)
    assert got["table4"] == [None] * 15
    assert any(i["code"] == "ambiguous_cells" and "14 cells" in i["message"] for i in got["issues"])


def test_changed_cell_breaks_identities() -> None:
    damaged = GZ_TEXT.replace("(一) 予以公开\t6893\t", "(一) 予以公开\t6894\t")
    assert damaged != GZ_TEXT
    got = parse_text(damaged)
    assert got["table3"]["granted"][0] == 6894
    rules = {i["rule"] for i in got["issues"] if i["code"] == "identity_broken"}
    assert rules == {"T3-2", "T3-3"}


def test_money_without_unit_is_not_invented() -> None:
    text = GZ_TEXT.replace("1471599.16万元", "1471599")
    got = parse_text(text)
    assert got["table2"]["procurement"]["amount_yuan"] is None
    assert any("no unit" in i["message"] for i in got["issues"])


def test_empty_and_garbage_inputs_give_issues() -> None:
    for data in (b"", b"\x00\x01\x02", "随便写点什么".encode()):
        got = parse_files([("x", data)])[0]
        assert got["table3"] is None and got["table4"] is None
        assert got["issues"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    got = parse_files([("x", data)])[0]
    assert set(got) >= {"agency", "year", "format", "table2", "table3", "table4", "issues"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=len(GZ_TEXT.split("\n")) - 1), max_size=20))
def test_deleted_lines_never_give_a_wrong_number(deleted: list[int]) -> None:
    lines = GZ_TEXT.split("\n")
    kept = "\n".join(line for i, line in enumerate(lines) if i not in set(deleted))
    got, gold = parse_text(kept), gold_for(GZ)
    if got["table3"] is None:
        assert any(i["code"] == "table_missing" for i in got["issues"])
        return
    for row, values in gold["table3"].items():
        for got_v, gold_v in zip(got["table3"].get(row, [None] * 7), values, strict=True):
            assert got_v is None or got_v == gold_v, (row, deleted)


def test_narrative_counts_units_and_carried_over() -> None:
    text = GZ_TEXT.replace(
        "2020 年全市各级行政机关共办理政府信息公开申请 19017 宗",
        "2020 年全市共收到政府信息公开申请 19017 份（含上年结转 726 份）",
    )
    got = parse_text(text)
    assert got["narrative"]["applications_handled"] == 19017
    assert "applications_received" not in got["narrative"]
    assert not [i for i in got["issues"] if i["code"] == "narrative_mismatch"]


def test_narrative_share_that_does_not_fit_is_a_finding() -> None:
    text = (SAMPLE_RAW / "2020" / "guangzhou-statistics-bureau-2020.txt").read_text()
    got = parse_text(text.replace("占总数的 34.0%", "占总数的 43.0%"))
    [issue] = [i for i in got["issues"] if i["code"] == "narrative_mismatch"]
    assert issue["rule"] == "N-1" and "43.0%" in issue["message"]


def test_flow_identity_t3_1_fires() -> None:
    damaged = GZ_TEXT.replace("四、结转下年度继续办理\t633\t", "四、结转下年度继续办理\t634\t")
    damaged = damaged.replace("\t14\t691\n", "\t14\t692\n")
    assert damaged.count("634") > GZ_TEXT.count("634")
    got = parse_text(damaged)
    broken = {
        (i["rule"], i["message"].split(" broken for ")[1].split(":")[0])
        for i in got["issues"]
        if i["code"] == "identity_broken"
    }
    assert broken == {("T3-1", "natural_person"), ("T3-1", "total")}


# Spaces, digits of several scripts, fullwidth forms, CJK beyond the BMP.
_MIXED = list(" \t\n\f\u3000\xa0aZ09１٣,|收到和处理𠀀𝟎—")


@example("a١b𝟎 𠀀\u3000１|收")
@given(st.lists(st.sampled_from(_MIXED) | st.characters(), max_size=60).map("".join))
def test_compact_text_keeps_exactly_what_a_character_loop_keeps(text: str) -> None:
    """The table 3 stream leaves out spaces (and cells' characters) by a table over code
    points: the same characters, at the same offsets, as testing each character with the
    pattern; and where the last kept character before an offset ends."""
    for left_out in (stream._SPACE, stream._SPACE_OR_CELL):
        pattern = re.compile(left_out)
        kept = [i for i, ch in enumerate(text) if not pattern.match(ch)]
        compact = stream.Compact(text, left_out)
        assert compact.text == "".join(text[i] for i in kept)
        assert [compact.offset(i) for i in range(len(kept))] == kept
        for offset in range(len(text) + 1):
            before = [i for i in kept if i < offset]
            if before:
                assert compact.end_before(0, len(kept), offset) == before[-1] + 1
