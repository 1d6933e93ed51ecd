"""Real published reports in layouts of their own, and table 3 as PDF text extraction breaks it.

`tests/real/` holds six real reports as a crawler or converter produced them, with gold read by
hand from the originals (see its README.md). The PDF-text renderings below follow what
`pdftotext` prints for the national Word form exported to PDF by an office suite.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dagster_project.cli import parse_files
from dagster_project.parsing.labels import APPLICANT_COLUMNS, ROW_BY_KEY, TABLE3_VARIANTS
from dagster_project.synth import generate

REAL = Path(__file__).resolve().parent / "real"
REPORTS = sorted(REAL.glob("*.txt"))
# The published files of four of them: three PDFs and a web page, read as they came.
ORIGINALS = sorted([*REAL.glob("*.pdf"), *REAL.glob("*.html")])


def _agency(name: str | None) -> str:
    return re.sub(r"[（(].*?[）)]|\s", "", name or "")


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict]:
    objects = parse_files([(str(p), p.read_bytes()) for p in [*REPORTS, *ORIGINALS]])
    return {Path(o["file"]).name: o for o in objects}


@pytest.mark.parametrize("report", [*REPORTS, *ORIGINALS], ids=lambda p: p.name)
def test_real_report_matches_gold(report: Path, parsed: dict[str, dict]) -> None:
    got, gold = parsed[report.name], json.loads(report.with_suffix(".json").read_text())
    names = [_agency(gold["agency"]), *map(_agency, gold.get("agency_aliases", []))]
    assert any(n in _agency(got["agency"]) or _agency(got["agency"]) in n for n in names)
    assert (got["year"], got["format"]) == (gold["year"], gold["format"])
    assert got["table4"] == gold["table4"]
    assert list(got["table3"]) == list(gold["table3"])
    for row, values in gold["table3"].items():
        assert got["table3"][row] == values, row


# The gold's own words for table 2 of the 2021 form (see tests/real/README.md).
T2_2021 = {
    "licensing_decisions": ("licensing", "decisions"),
    "punishment_decisions": ("penalty", "decisions"),
    "coercion_decisions": ("enforcement", "decisions"),
}
T2_MEASURES = {"made": "issued", "repealed": "repealed", "valid": "in_force"}


def _table2_gold(gold: dict) -> dict:
    """The gold's table 2 in the contract's shape."""
    if gold["format"] == "2019":
        return gold["table2"]
    out: dict[str, dict] = {}
    for key, value in gold["table2"].items():
        if key in T2_2021:
            item, measure = T2_2021[key]
            out.setdefault(item, {})[measure] = value
        elif key == "fees_wan_yuan":
            out["fees"] = {"amount_yuan": round(value * 10000)}
        else:
            out[key] = {T2_MEASURES[m]: v for m, v in value.items()}
    return out


@pytest.mark.parametrize("report", REPORTS, ids=lambda p: p.stem)
def test_real_report_table2_matches_gold(report: Path, parsed: dict[str, dict]) -> None:
    got, gold = parsed[report.name], json.loads(report.with_suffix(".json").read_text())
    assert got["table2"] == _table2_gold(gold)


@pytest.mark.parametrize("report", ORIGINALS, ids=lambda p: p.name)
def test_original_is_read_with_its_kind_and_places(report: Path, parsed: dict[str, dict]) -> None:
    got = parsed[report.name]
    assert got["kind"] == report.suffix[1:]
    assert got["table2"] == _table2_gold(json.loads(report.with_suffix(".json").read_text()))
    cells = [c for row in got["provenance"]["table3"].values() for c in row]
    cells += got["provenance"]["table4"]
    assert all(c["location"] and re.search(r"table \d+, row \d+$", c["location"]) for c in cells)
    if report.suffix == ".pdf":
        # table 3 runs over two pages in all three PDFs, and table 4 stands after it
        pages = {c["page"] for c in got["provenance"]["table3"]["new_received"]}
        last = {c["page"] for c in got["provenance"]["table3"]["carried_forward"]}
        t4 = {c["page"] for c in got["provenance"]["table4"]}
        assert len(pages) == 1 and len(last) == 1 and len(t4) == 1
        assert min(pages) < min(last) <= min(t4)
        assert all(c["location"].startswith(f"page {c['page']}, ") for c in cells)
    else:
        assert all(c["page"] is None for c in cells)


def test_real_reports_carry_no_false_finding(parsed: dict[str, dict]) -> None:
    # Every identity of 001 and 003-006 holds in the source; 002 breaks T4-1 in its table 4.
    for name, got in parsed.items():
        rules = {i["rule"] for i in got["issues"] if i["code"] == "identity_broken"}
        assert rules == ({"T4-1"} if name.startswith("002") else set()), name


# ---------------------------------------------------------------------------------------------
# Table 3 as pdftotext prints the national form exported to PDF

COLUMNS = (30, 37, 43, 49, 55, 61, 68)  # where each column's cells start in -layout text
WRAP = 14  # label characters that fit on one line of the label cell


def _row_label(key: str) -> str:
    return re.sub(r"^[0-9][.、]", "", ROW_BY_KEY[key].label) if key != "total" else "（七）总计"


def _place(line: str, at: int, text: str) -> str:
    return line.ljust(at) + text if text else line


def render_layout(
    table3: dict[str, list[int]], blank_zero: bool, wide: int | None = None, top: bool = False
) -> str:
    """`pdftotext -layout`: cells at their column; a wrapped label prints the row's total on
    the label's first line, the other cells on the next line and the label's end below. Given
    `wide`, a count of more digits wraps in its cell: its first `wide` digits on a line above
    the row's (on the row's own line if `top`), the rest on a line below."""
    out = [
        "三、收到和处理政府信息公开申请情况",
        "",
        "                                             申请人情况",
        "                                            法人或其他组织",
        "（本列数据的勾稽关系为：第一项加第二项之和，等",
    ]
    # The header cells wrap too: each column's words start where its cells start.
    for words in (
        ("自然", "商业", "科研", "社会", "法律", "", ""),
        ("人", "企业", "机构", "公益", "服务", "其他", "总计"),
        ("", "", "", "组织", "机构", "", ""),
    ):
        line = "于第三项加第四项之和）" if words[-1] else ""
        for at, word in zip(COLUMNS, words, strict=True):
            line = _place(line, at, word)
        out.append(line)
    for key, values in table3.items():
        label = _row_label(key)
        cells = ["" if blank_zero and v == 0 else str(v) for v in values]
        if len(label) <= WRAP:
            line, above, below = label, "", ""
            for at, text in zip(COLUMNS, cells, strict=True):
                if wide and len(text) > wide:
                    if top:
                        line = _place(line, at, text[:wide])
                    else:
                        above = _place(above, at, text[:wide])
                    below = _place(below, at, text[wide:])
                else:
                    line = _place(line, at, text)
            out += [above, line, below] if above else [line, below] if below else [line]
            continue
        out.append(_place(label[:WRAP], COLUMNS[-1], cells[-1]))
        line = ""
        for at, text in zip(COLUMNS[:-1], cells[:-1], strict=True):
            line = _place(line, at, text)
        out += [line, "   " + label[WRAP:]]
    out += ["", "四、政府信息公开行政复议、行政诉讼情况"]
    return "\n".join(out) + "\n"


def render_default(table3: dict[str, list[int]], blank_zero: bool) -> str:
    """`pdftotext` in its default order: one cell per line; the total of a wrapped row comes
    after the next row's label, and blank cells vanish."""
    out = ["三、收到和处理政府信息公开申请情况", "", "自然人", "商业企业", "总计", ""]
    late: list[str] = []
    for key, values in table3.items():
        label = _row_label(key)
        cells = ["" if blank_zero and v == 0 else str(v) for v in values]
        out += [label[:WRAP], label[WRAP:]] if len(label) > WRAP else [label]
        out += late
        late = []
        shown = cells if len(label) <= WRAP else cells[:-1]
        out += [x for c in shown if c for x in (c, "")]
        if len(label) > WRAP and cells[-1]:
            late = [cells[-1], ""]
    out += late + ["四、政府信息公开行政复议、行政诉讼情况"]
    return "\n".join(out) + "\n"


def _report(table3: dict[str, list[int]], body: str) -> bytes:
    head = "某某市某某局2024年政府信息公开工作年度报告\n一、总体情况\n（略）\n"
    head += "二、主动公开政府信息情况\n"
    return (head + body + "五、存在的主要问题及改进情况\n无\n").encode()


def _truths() -> list[dict[str, list[int]]]:
    found = []
    for seed in range(400):
        truth = generate(seed, violation_rate=0.0).truth
        if truth.get("table3") and "other_misc" in truth["table3"]:
            found.append(truth["table3"])
    return found


TRUTHS = _truths()


def _cells_right_or_null(truth: dict, got: dict | None) -> tuple[int, int]:
    """Count cells right and null; fail on any other number."""
    right = null = 0
    for key, values in truth.items():
        row = (got or {}).get(key) or [None] * len(APPLICANT_COLUMNS)
        for col, (want, value) in enumerate(zip(values, row, strict=True)):
            assert value is None or value == want, (key, APPLICANT_COLUMNS[col], want, value)
            right += value == want
            null += value is None
    return right, null


def test_a_wrapped_row_is_read_whole_from_layout_text() -> None:
    # （二）部分公开… wraps: its total stands on the label's first line, above the other cells.
    truth = next(t for t in TRUTHS if t["partial"][0] and t["partial"][-1] != t["partial"][0])
    text = render_layout(truth, blank_zero=False)
    assert re.search(r"部分公开.*\s" + str(truth["partial"][-1]) + r"\n", text)
    (got,) = parse_files([("layout.txt", _report(truth, text))])
    assert got["table3"] == truth
    assert not [i for i in got["issues"] if i["code"] == "identity_broken"]


@pytest.mark.parametrize("top", [False, True], ids=["centred", "top"])
def test_a_count_wider_than_its_cell_is_joined_from_its_two_lines(top: bool) -> None:
    # Ten times a real table keeps its identities and gives five-digit counts, which wrap in
    # their cells: a total of 3050 becomes 30500, printed "3050" above the row (or on it, the
    # cell's text at its top) and "0" below.
    large = next(t for t in TRUTHS if t["total"][-1] >= 1000)
    truth = {key: [v * 10 for v in values] for key, values in large.items()}
    text = render_layout(truth, blank_zero=False, wide=4, top=top)
    above = "" if top else r"\n[ \d]+"
    assert re.search(above + r"\n（七）总计[ \d]*\n +\d[ \d]*\n", text)
    (got,) = parse_files([("wide.txt", _report(truth, text))])
    assert got["table3"] == truth
    assert not [i for i in got["issues"] if i["code"] == "identity_broken"]


def test_a_row_whose_cells_stand_above_its_label_is_read() -> None:
    # A tall row centres its cells: they print on the line above its label, after the row
    # above's line, and the row above then seems to hold fourteen numbers.
    truth = next(t for t in TRUTHS if t["unavailable_not_held"][-1] > 100)
    label = _row_label("unavailable_not_held")
    lines = render_layout(truth, blank_zero=False).split("\n")
    k = next(i for i, line in enumerate(lines) if line.startswith(label))
    # the group's label shares the cells' line, as 三、本 does in the form
    lines[k : k + 1] = ["三、本" + " " * (len(label) - 3) + lines[k][len(label) :], label]
    (got,) = parse_files([("above.txt", _report(truth, "\n".join(lines)))])
    assert got["table3"] == truth


OFFICE = Path(__file__).parent / "office"


@pytest.mark.parametrize("name", sorted(p.stem for p in OFFICE.glob("*.txt")))
def test_office_layout_texts_are_read_whole(name: str) -> None:
    # pdftotext -layout of LibreOffice PDFs (tests/office/README.md): wrapped counts, blank
    # zeros, table 4 under centred headers or with no number at all
    truth = json.loads((OFFICE / f"{name}.json").read_text(encoding="utf-8"))
    (got,) = parse_files([(f"{name}.txt", (OFFICE / f"{name}.txt").read_bytes())])
    assert got["table3"] == truth["table3"]
    assert got["table4"] == truth["table4"]
    assert (got["year"], got["format"]) == (truth["year"], truth["format"])


def test_an_identity_the_source_breaks_nulls_only_its_cells_in_rows_in_doubt() -> None:
    # tests/office/README.md: without T3-2 of the commercial column, the identities settle the
    # rows in doubt; their commercial cells stay null, every other cell is read
    name = "synth-1087-layout"
    truth = json.loads((OFFICE / "broken" / f"{name}.json").read_text(encoding="utf-8"))
    (got,) = parse_files([(f"{name}.txt", (OFFICE / "broken" / f"{name}.txt").read_bytes())])
    nulls = {(k, j) for k, row in got["table3"].items() for j, v in enumerate(row) if v is None}
    in_doubt = ("partial", "denied_query", "unavailable_not_held", "rejected_confirm")
    assert nulls == {(key, 1) for key in in_doubt}
    for key, row in got["table3"].items():
        assert all(v is None or v == t for v, t in zip(row, truth["table3"][key], strict=True))
    assert got["table4"] == truth["table4"]


def test_a_row_that_may_have_moved_is_not_settled_without_a_cell() -> None:
    # tests/office/README.md: without one cell, the printed order reads the row's 7 in the
    # commercial column; a label going on below the numbers says the total may stand first
    name = "synth-227-office-layout"
    truth = json.loads((OFFICE / "broken" / f"{name}.json").read_text(encoding="utf-8"))
    (got,) = parse_files([(f"{name}.txt", (OFFICE / "broken" / f"{name}.txt").read_bytes())])
    for key, row in got["table3"].items():
        assert all(v is None or v == t for v, t in zip(row, truth["table3"][key], strict=True))
    assert got["table3"]["new_received"] == [None] * 7


@settings(max_examples=40, deadline=None)
@given(
    index=st.integers(0, len(TRUTHS) - 1),
    style=st.sampled_from(["layout", "default"]),
    blank_zero=st.booleans(),
)
def test_pdf_text_cells_are_right_or_null_never_shifted(
    index: int, style: str, blank_zero: bool
) -> None:
    truth = TRUTHS[index]
    render = render_layout if style == "layout" else render_default
    (got,) = parse_files([("pdf.txt", _report(truth, render(truth, blank_zero)))])
    right, null = _cells_right_or_null(truth, got["table3"])
    if null:
        assert any(i["code"] in ("ambiguous_cells", "cell_missing") for i in got["issues"])
    # Whatever was read, no identity is blamed on the source: the truth keeps every one.
    assert not [i for i in got["issues"] if i["code"] == "identity_broken"]
    if style == "layout":
        assert right + null == sum(len(v) for v in truth.values())


def test_layout_text_with_blank_cells_is_read_by_column() -> None:
    truth = TRUTHS[0]
    (got,) = parse_files([("blank.txt", _report(truth, render_layout(truth, blank_zero=True)))])
    right, null = _cells_right_or_null(truth, got["table3"])
    assert null == 0 and right == len(TABLE3_VARIANTS["three_other"]) * len(APPLICANT_COLUMNS)


def test_the_parse_shows_why_each_null_row_is_null() -> None:
    from dagster_project.parsing.render import report_text

    truth = TRUTHS[1]
    (got,) = parse_files([("d.txt", _report(truth, render_default(truth, blank_zero=True)))])
    null_rows = [k for k, v in got["table3"].items() if None in v]
    assert null_rows
    text = report_text(got)
    assert "why ∅" in text
    for key in null_rows:
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| {key} "))
        assert line.rstrip(" |").split("|")[-1].strip(), key
