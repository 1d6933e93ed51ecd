"""Documents read as a crawl downloads them: kind by content, tables from their structure, each
line's place kept; generated Word forms, web pages and PDFs of both forms never read wrong."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project import office
from dagster_project.cli import parse_files
from dagster_project.parsing.documents import kind_of, read_document
from dagster_project.synth import compare, generate

REAL = Path(__file__).resolve().parent / "real"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n...", "pdf"),
        (b"\r\n%PDF-1.4\n", "pdf"),
        (b"<!DOCTYPE html><html><body>x</body></html>", "html"),
        ("\ufeff  <!-- saved -->\n<HTML><HEAD>".encode(), "html"),
        (b"<?xml version='1.0'?>\n<html xmlns:o='urn'>", "html"),
        (b"<div class='TRS_Editor'><p>x</p></div>", "html"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "ole"),
        ("一、总体情况\n<本年>新收 3 件".encode(), "text"),
        ("| 一、本年新收 | 3 |".encode(), "text"),
    ],
)
def test_kind_is_read_from_the_bytes(data: bytes, kind: str) -> None:
    assert kind_of(data) == kind


def test_a_zip_is_a_word_document_only_with_its_body() -> None:
    def archive(name: str) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr(name, "<x/>")
        return buffer.getvalue()

    assert kind_of((REAL / "template-2021-form.docx").read_bytes()) == "docx"
    assert kind_of(archive("xl/workbook.xml")) == "zip"
    assert read_document(archive("xl/workbook.xml")).error.startswith("a ZIP archive")


def test_html_tables_are_grids_and_chrome_is_dropped() -> None:
    page = """<html><head><title>某县2023年政府信息公开工作年度报告</title>
    <script>var x = "一、本年新收政府信息公开申请数量 99";</script><style>td{}</style></head>
    <body><nav>首页 政务公开</nav><p>正文<br>第二行</p>
    <table><tr><td rowspan="2">三、本年度办理结果</td><td colspan="2">（一）予以公开</td>
    <td>5</td><td>&nbsp;</td></tr><tr><td>（二）部分</td><td><span>公</span><span>开</span></td>
    <td>1</td><td><p class="MsoNormal"><o:p>&nbsp;</o:p></p></td></tr></table></body></html>"""
    doc = read_document(page.encode())
    assert doc.kind == "html" and doc.error is None
    lines = doc.text.split("\n")
    assert lines[0] == "某县2023年政府信息公开工作年度报告"
    assert "99" not in doc.text and "首页" not in doc.text
    assert ["正文", "第二行"] == lines[1:3]
    # merged cells are not repeated, an empty cell stays an (empty) cell
    assert lines[3:] == [
        "| 三、本年度办理结果 | （一）予以公开 | 5 |  |",
        "| （二）部分 | 公开 | 1 |  |",
    ]
    assert doc.locations[3:] == ["table 1, row 1", "table 1, row 2"]


def test_word_tables_keep_merged_and_empty_cells() -> None:
    truth = next(t for s in range(100) if office.fits_form(t := generate(s).truth))
    doc = read_document(office.fill_form(truth, blank_zero=True))
    assert doc.kind == "docx"
    total = next(line for line in doc.text.split("\n") if line.startswith("| （七）总计"))
    cells = total.strip("|").split("|")
    assert len(cells) == 8  # the label (across two columns) and seven cells, blanks included
    assert [c.strip() or "0" for c in cells[1:]] == [str(v) for v in truth["table3"]["total"]]
    # the vertically merged group label stands on its first row only
    assert sum("三、本年度办理结果" in line for line in doc.text.split("\n")) == 1


def test_documents_may_be_larger_than_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    from dagster_project.parsing import documents
    from dagster_project.parsing.decode import MAX_BYTES

    buffer = io.BytesIO()
    noise = Image.frombytes("RGB", (2400, 2400), random.Random(1).randbytes(3 * 2400 * 2400))
    noise.save(buffer, "PDF", quality=100)
    scan = buffer.getvalue()
    assert len(scan) > MAX_BYTES  # over the limit of a text file, read as a document
    assert read_document(scan).error.startswith("scanned: no text layer")
    monkeypatch.setattr(documents, "MAX_DOCUMENT_BYTES", MAX_BYTES)
    assert read_document(scan).error.startswith("too large:")


def test_a_pdf_has_pages_and_its_tables_rows() -> None:
    doc = read_document((REAL / "003.pdf").read_bytes())
    assert doc.kind == "pdf" and doc.text.count("\f") == 4  # five pages
    lines = doc.text.split("\n")
    assert len(doc.locations) == len(lines)
    row = next(i for i, line in enumerate(lines) if line.startswith("| 一、本年新收"))
    assert lines[row] == "| 一、本年新收政府信息公开申请数量 | 95 | 0 | 0 | 0 | 0 | 0 | 95 |"
    assert doc.locations[row].startswith("page 3, table ")
    assert all(line.startswith("\f") for line in lines if "\f" in line)


def _form_truths(start: int, n: int) -> list[tuple[int, dict]]:
    found = []
    seed = start
    while len(found) < n:
        truth = generate(seed).truth
        if office.fits_form(truth):
            found.append((seed, truth))
        seed += 1
    return found


def _check(files: list[tuple[str, bytes]], truths: list[dict]) -> tuple[int, int]:
    """Parse documents and compare with their truths: no number may be wrong. Returns the
    cells compared and those left null."""
    compared = missing_cells = 0
    for truth, got in zip(truths, parse_files(files), strict=True):
        wrong, missing = compare(truth, got)
        if truth["format"] == "2019":  # the 2019 form's table 2 is not filled in
            wrong = [w for w in wrong if not w.startswith("table2")]
            missing = [m for m in missing if not m.startswith("table2")]
        assert wrong == [], (got["file"], wrong[:5])
        compared += 7 * len(truth["table3"]) + 15
        missing_cells += len(missing)
    return compared, missing_cells


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.integers(min_value=0, max_value=10**9),
    blank=st.booleans(),
    charset=st.sampled_from(["utf-8", "gb18030"]),
)
def test_word_forms_and_their_web_pages_parse_to_the_truth(
    start: int, blank: bool, charset: str
) -> None:
    """30 examples × 4 reports × (.docx, web page): 240 documents of both forms per run."""
    files, truths = [], []
    for seed, truth in _form_truths(start, 4):
        docx = office.fill_form(truth, blank)
        files.append((f"{seed}.docx", docx))
        files.append((f"{seed}.html", office.word_html(docx, truth, seed, charset)))
        truths += [truth, truth]
    compared, missing = _check(files, truths)
    assert missing <= compared // 100


@pytest.mark.skipif(not office.available(), reason="needs LibreOffice")
def test_office_pdfs_of_both_forms_parse_to_the_truth(tmp_path: Path) -> None:
    made = []
    for seed, truth in _form_truths(1000, 8):
        path = tmp_path / f"{seed}.docx"
        path.write_bytes(office.fill_form(truth, blank_zero=seed % 2 == 0))
        made.append((path, truth))
    assert {t["format"] for _, t in made} == {"2019", "2021"}
    office.convert([p for p, _ in made], "pdf", tmp_path)
    files = [(p.name, p.with_suffix(".pdf").read_bytes()) for p, _ in made]
    compared, missing = _check(files, [t for _, t in made])
    assert missing <= compared // 100


def test_a_wide_count_wrapped_in_its_cell_is_one_number_and_short_ones_stay_apart() -> None:
    from dagster_project.parsing.documents import _cell_text

    assert _cell_text("3779\n0") == "37790"  # a five-digit count wrapped in a narrow cell
    assert _cell_text("5\n3") == "5 3"  # two rows' values in one cell: never 53
    assert (
        _cell_text("（二）部分公开（区分处理的，\n只计这一情形）")
        == "（二）部分公开（区分处理的，只计这一情形）"
    )
    assert _cell_text(" \xa0\n\u3000") == ""
