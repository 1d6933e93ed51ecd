"""Property tests: synthetic reports of every layout render → parse → compare with the truth.

Every cell must equal the truth or be null with an issue saying so; a wrong number fails.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.cli import parse_files
from dagster_project.parsing.labels import APPLICANT_COLUMNS
from dagster_project.synth import LAYOUTS, compare, generate

BATCH = 10

_TABLE_WORDS = {"table3": "table 3", "table4": "table 4", "table2": "table 2"}


def check_batch(seeds: list[int], layout: str | None, traditional: bool | None) -> int:
    """Parse a batch of synthetic reports together and check each; returns cells compared."""
    reports = [generate(s, layout=layout, traditional=traditional) for s in seeds]
    parsed = parse_files(
        [(f"synth-{s}.txt", r.text.encode()) for s, r in zip(seeds, reports, strict=True)]
    )
    compared = 0
    for seed, report, got in zip(seeds, reports, parsed, strict=True):
        wrong, missing = compare(report.truth, got)
        assert wrong == [], (seed, report.layout, wrong[:5])
        messages = " ".join(i["message"] for i in got["issues"])
        for table in {m.split(".")[0] for m in missing}:
            assert _TABLE_WORDS[table] in messages or f"{table} is absent" in messages, (
                seed,
                report.layout,
                table,
            )
        complete = not any(m.startswith("table3") for m in missing)
        if report.violated and complete:
            assert any(i["code"] == "identity_broken" for i in got["issues"]), (seed, layout)
        if not report.violated and not missing:
            assert not [i for i in got["issues"] if i["code"] == "identity_broken"], seed
        compared += 7 * len(report.truth["table3"]) + 15
    return compared


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.integers(min_value=0, max_value=10**9),
    layout=st.sampled_from(LAYOUTS),
    traditional=st.booleans(),
)
def test_every_layout_parses_to_the_truth(start: int, layout: str, traditional: bool) -> None:
    """200 examples × 10 reports: 2,000 generated reports in every run."""
    assert check_batch(list(range(start, start + BATCH)), layout, traditional) > 0


def test_a_mixed_batch_parses_together() -> None:
    """Reports of every layout in one batch: the batch-wide expressions keep them apart."""
    assert check_batch(list(range(500)), None, None) > 500 * 170


def test_violations_are_found() -> None:
    reports = [generate(s, layout="tsv", violation_rate=1.0) for s in range(20)]
    parsed = parse_files([(str(i), r.text.encode()) for i, r in enumerate(reports)])
    assert all(r.violated for r in reports)
    for got in parsed:
        assert {i["rule"] for i in got["issues"] if i["code"] == "identity_broken"} & {
            "T3-1",
            "T3-2",
            "T3-3",
        }


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_one_cell_the_source_got_wrong_is_the_only_null(seed: int) -> None:
    """Word HTML one cell per line, its table 3 wrong in one cell (it breaks its row's identity
    and its column's): the other rows are checked without that cell, which alone stays null."""
    report = generate(seed, layout="html_cells", violation_rate=1.0)
    (got,) = parse_files([("html.txt", report.text.encode())])
    wrong, missing = compare(report.truth, got)
    assert wrong == []
    nulls = [m for m in missing if m.startswith("table3.")]
    assert len(nulls) == 1 and nulls[0].split(".")[1] in ("total", "granted", "new_received")
    assert "the identities hold only without this cell" in " ".join(
        i["message"] for i in got["issues"]
    )


def test_space_aligned_office_text_reads_every_table3_cell() -> None:
    """`pdftotext -layout` of office-made PDFs whose identities hold: rows whose label wraps
    around their numbers (the total on the label's first line, the rest below, the label's
    last words under them: 重新出 / 具已获取信息) and zeros printed as dashes are read whole."""
    reports = [generate(s, layout="office_layout", violation_rate=0.0) for s in range(40)]
    assert any(re.search(r"重新出 +\d+\n", r.text) for r in reports)
    assert any(re.search(r"— {2,}—", r.text) for r in reports)
    parsed = parse_files([(f"office-{i}.txt", r.text.encode()) for i, r in enumerate(reports)])
    for seed, (report, got) in enumerate(zip(reports, parsed, strict=True)):
        wrong, missing = compare(report.truth, got)
        assert wrong == [] and not [m for m in missing if m.startswith("table3.")], seed


def test_a_wrong_cell_of_a_row_read_without_doubt_leaves_the_others_read() -> None:
    """`pdftotext -layout` text whose total row (seven numbers under their columns, read
    without doubt) has one wrong count, above rows in doubt (wrapped labels): the rows in doubt
    are settled by the identities that cell takes no part in; it stays as printed, and the
    identities it breaks are the source's finding."""
    report = generate(20010, layout="office_layout", violation_rate=0.1)
    assert report.violated and re.search(r"本年新收政府信息公开申请 +\d+\n", report.text)
    (got,) = parse_files([("office.txt", report.text.encode())])
    wrong, missing = compare(report.truth, got)
    assert wrong == [] and missing == []
    broken = [i["message"] for i in got["issues"] if i["code"] == "identity_broken"]
    assert any(m.startswith("T3-3 broken for total") for m in broken), broken


def test_a_glued_row_the_source_got_wrong_is_not_split_to_add_up() -> None:
    """Crawler text whose source got one count wrong in a row whose cells ran together: the
    one split of its digits that adds up is not what was printed (it breaks two columns), so
    it is not kept; the split the columns ask for in all but one column is the row as printed,
    and its broken identity is the source's finding."""
    seeds = (12080, 13108, 13142, 13307)
    reports = [generate(s, layout="crawler", violation_rate=1.0) for s in seeds]
    files = [(f"crawler-{s}.txt", r.text.encode()) for s, r in zip(seeds, reports, strict=True)]
    parsed = parse_files(files)
    for seed, report, got in zip(seeds, reports, parsed, strict=True):
        wrong, _ = compare(report.truth, got)
        assert wrong == [], (seed, wrong)
    report, got = reports[0], parsed[0]
    assert "予以公开1158 28739320931600" in report.text
    assert got["table3"]["granted"] == report.truth["table3"]["granted"]
    broken = [i["message"] for i in got["issues"] if i["code"] == "identity_broken"]
    assert any(m.startswith("T3-3 broken for granted") for m in broken), broken


def test_a_row_that_adds_up_in_no_reading_leaves_the_others_read() -> None:
    """OCR markdown whose source got one count of a row wrong, the row's cells placed two ways
    (a value floating below its row): no reading of the row adds up. The row stays null, and
    its readings still let the column identities settle every other row (before, every row
    sharing a group with it stayed null)."""
    report = generate(14047, layout="ocr_markdown", violation_rate=1.0)
    (got,) = parse_files([("ocr.txt", report.text.encode())])
    wrong, missing = compare(report.truth, got)
    assert wrong == []
    assert [m for m in missing if m.startswith("table3.")] == [
        f"table3.granted.{col}" for col in APPLICANT_COLUMNS
    ]
    (issue,) = [i for i in got["issues"] if "row granted left null" in i["message"]]
    assert "do not add up to its total in any reading" in issue["message"]


def test_generator_is_deterministic() -> None:
    assert generate(7).text == generate(7).text
    assert {generate(s).layout for s in range(60)} == set(LAYOUTS)
