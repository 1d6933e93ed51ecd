"""Normalise decoded report text for parsing, keeping one output line per input line.

Line numbers of the normalised text are the line numbers of the file, so every parsed cell
can be traced back to its source line.
"""

from __future__ import annotations

import html
from functools import lru_cache

import polars as pl

# Characters that exist only in Traditional script; their presence decides whether OpenCC runs,
# so Simplified text is never touched by the conversion.
_TRADITIONAL = (
    "們這個來說時為會國過後還麼開關與發經對當體將區業際條報據見級員點術認變無義寫書長門問題總"
    "況實處辦務請統計網頁產獲確審號權職應該層態稱壓負責構據衛製隊規劃傳節誌鄉鎮縣濟類"
)
_HAS_TRADITIONAL = f"[{_TRADITIONAL}]"
# A pinyin gloss in brackets right after a character: 據(jù) → 据.
_PINYIN_GLOSS = r"([\p{Han}])\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]{1,7}\)"
_HTML_TAG = r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>\n]{0,300})?/?>"
# A closing tag whose "<" was eaten by mojibake, as in "?/span>".
_HTML_TAG_RESIDUE = r"\?/(?:span|p|div|font|td|tr|th|table|br|strong|b|i|em)>"
_HTML_ENTITY = r"&(?:#\d{1,6}|#x[0-9A-Fa-f]{1,6}|[A-Za-z]{2,8});"
# Page footers and headers of PDF extraction: "- 4 -", "-3-", "第 2 页", "第2页 共5页".
_PAGE_MARK = (
    r"(?m)^[ \t]*(?:[-—–][ \t]*\d{1,3}[ \t]*[-—–]"
    r"|第[ \t]*\d{1,3}[ \t]*页(?:[ \t]*[,/]?[ \t]*共[ \t]*\d{1,3}[ \t]*页)?)[ \t]*$"
)


@lru_cache(maxsize=1)
def _converter():  # noqa: ANN202 - opencc has no type stubs
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Convert Traditional characters to Simplified with OpenCC."""
    return _converter().convert(text)


def _unescape(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def normalize_expr(col: str = "original") -> pl.Expr:
    """The normalisation as one polars expression over a column of decoded texts."""
    text = (
        pl.col(col)
        .str.replace_all("\r\n", "\n", literal=True)
        .str.replace_all("\r", "\n", literal=True)
        .str.replace_all(_HTML_TAG, "")
        .str.replace_all(_HTML_TAG_RESIDUE, "")
    )
    text = (
        pl.when(text.str.contains(_HTML_ENTITY))
        .then(text.map_elements(_unescape, return_dtype=pl.String))
        .otherwise(text)
    )
    text = text.str.normalize("NFKC").str.replace_all(_PINYIN_GLOSS, "$1")
    text = (
        pl.when(text.str.contains(_HAS_TRADITIONAL))
        .then(text.map_elements(to_simplified, return_dtype=pl.String))
        .otherwise(text)
    )
    return text.str.replace_all(_PAGE_MARK, "")


def normalize_frame(frame: pl.DataFrame, col: str = "original") -> pl.DataFrame:
    """Add a column `text`: each decoded text normalised (HTML, NFKC, Traditional, glosses)."""
    if frame.is_empty():
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias("text"))
    return frame.with_columns(normalize_expr(col).alias("text"))


def normalize_text(text: str) -> str:
    """Normalise one text (the same expression as the batch)."""
    return normalize_frame(pl.DataFrame({"original": [text]}))["text"][0]
