"""Decoding: every encoding real crawls use, and clear reasons for what cannot be decoded."""

from __future__ import annotations

import codecs

import pytest

from dagster_project.parsing.decode import decode_bytes
from dagster_project.parsing.normalize import to_simplified
from tests.conftest import SAMPLE_RAW

TEXT = (SAMPLE_RAW / "2020" / "guangzhou-statistics-bureau-2020.txt").read_text(encoding="utf-8")
# Only CJK, none of whose UTF-16 code units has a zero byte: UTF-16 without a single NUL.
CJK_ONLY = "".join(c for c in TEXT if "\u4e00" <= c <= "\u9fff" and ord(c) % 256)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16-le-bom"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16-be-bom"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_encodings_round_trip(data: bytes, encoding: str) -> None:
    decoded = decode_bytes(data)
    assert (decoded.text, decoded.encoding, decoded.error) == (TEXT, encoding, None)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be", "gb18030"])
def test_cjk_only_text_without_nul_bytes(encoding: str) -> None:
    data = CJK_ONLY.encode(encoding)
    assert b"\x00" not in data and len(CJK_ONLY) > 500
    decoded = decode_bytes(data)
    assert (decoded.text, decoded.encoding, decoded.error) == (CJK_ONLY, encoding, None)


def test_big5_is_told_from_gbk() -> None:
    import opencc

    traditional = opencc.OpenCC("s2t").convert(TEXT)
    data = traditional.encode("big5", errors="ignore")
    decoded = decode_bytes(data)
    assert decoded.encoding == "big5"
    assert to_simplified(decoded.text).startswith(" 2020年广州市统计局")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t\n", "empty file"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary: a PDF document"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary: contains NUL bytes"),
        (bytes(range(128, 256)) * 4, "undecodable"),
    ],
)
def test_undecodable_files_say_why(data: bytes, reason: str) -> None:
    decoded = decode_bytes(data)
    assert decoded.text is None and decoded.encoding is None
    assert decoded.error.startswith(reason)
