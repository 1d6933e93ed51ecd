"""Normalisation keeps one line per input line and repairs what the parser must not see."""

from __future__ import annotations

from dagster_project.parsing.normalize import normalize_text


def test_pinyin_glosses_and_traditional() -> None:
    assert normalize_text("依據(jù)《條例》規(guī)定") == "依据《条例》规定"


def test_simplified_text_is_not_converted() -> None:
    # OpenCC would turn 著 into 着; Simplified text must not pass through it.
    assert normalize_text("成效显著") == "成效显著"


def test_html_and_entities_removed() -> None:
    assert normalize_text("<p>规章&nbsp;0</p>\n行政许可?/span>") == "规章 0\n行政许可"


def test_fullwidth_forms_become_ascii() -> None:
    assert normalize_text("（一）予以公开　１８") == "(一)予以公开 18"


def test_page_marks_blanked_line_count_kept() -> None:
    text = "a\n- 4 -\nb\n-3-\n  第 2 页 \nc"
    out = normalize_text(text)
    assert out.split("\n") == ["a", "", "b", "", "", "c"]


def test_line_count_is_preserved_for_crlf() -> None:
    assert normalize_text("a\r\nb\r\nc").split("\n") == ["a", "b", "c"]


def test_dash_zero_cells_around_a_number_are_not_a_page_mark() -> None:
    text = "\t-\n\t17\n\t-\n"
    assert normalize_text(text) == text
