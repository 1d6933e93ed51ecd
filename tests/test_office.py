"""Reports made the way agencies make them: the Word form saved by LibreOffice as .docx, .pdf
and .html, read as they are, and the PDF as pdftotext prints it."""

from __future__ import annotations

import json
import re
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from dagster_project import office

GOLD = json.loads((Path(__file__).parent / "real" / "001.json").read_text())


def _document_text(docx: bytes) -> str:
    with zipfile.ZipFile(BytesIO(docx)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    return "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml))


def test_the_form_holds_the_report() -> None:
    text = _document_text(office.fill_form(GOLD, blank_zero=False))
    assert "淮安市人民政府2024年政府信息公开工作年度报告" in text
    assert "统计期限自2024年1月1日" in text
    # table 3's first row and table 4, in the form's order
    assert "一、本年新收政府信息公开申请数量300153006143119" in text
    assert "".join(map(str, GOLD["table4"])) in text


def test_blank_zeros_leave_the_cells_empty() -> None:
    full = _document_text(office.fill_form(GOLD, blank_zero=False))
    blank = _document_text(office.fill_form(GOLD, blank_zero=True))
    assert "一、本年新收政府信息公开申请数量30015361" + "43119" in blank
    assert len(blank) < len(full)


def test_the_2019_form_has_one_other_row_and_its_table_2_words() -> None:
    truth = json.loads((Path(__file__).parent / "real" / "005.json").read_text())
    text = _document_text(office.fill_form(truth, blank_zero=False))
    assert "（六）其他处理（七）总计" in text.replace("0", "")
    assert "本年新制作数量" in text and "本年制发件数" not in text
    assert "逾期不补正" not in text


@pytest.mark.skipif(not office.available(), reason="needs LibreOffice and pdftotext")
def test_office_documents_are_read_and_never_wrong(tmp_path: Path) -> None:
    # the real reports of both forms (001, 004 and 006 on the 2021 form, 005 on the 2019 one)
    scores = office.check(4, tmp_path)
    for reading, score in scores.items():
        assert score.wrong == 0, (reading, score.examples[:5])
        assert score.meta_wrong == 0, reading
    for kind in ("docx", "pdf", "html"):
        score = scores[kind]
        assert score.right / (score.right + score.null) >= 0.99, kind
    layout = scores["pdftotext layout"]
    assert layout.right / (layout.right + layout.null) >= 0.99
