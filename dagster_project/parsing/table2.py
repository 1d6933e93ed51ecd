"""Table 2 (proactive disclosure): values after their item labels, on one line or the lines
after, and the one cut of digits run together where crawler text glued them.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import polars as pl

from dagster_project.parsing.frames import DASH_RE, HAN, VALUE_TOKEN, make_frame, make_issue
from dagster_project.parsing.labels import (
    ITEM_BY_KEY,
    ITEM_REGEX,
    TABLE2_ITEMS,
)

_VALUE = re.compile(r"^([+\-增减]?)(\d+(?:\.\d+)?)(万元|元|万)?$")


@lru_cache(maxsize=4096)
def _table2_value(
    token: str, measure: str, unit: str | None
) -> tuple[Decimal | None, str, str, str | None]:
    """Value, state, unit and the reason it could not be read, for one table-2 token."""
    if DASH_RE.match(token):
        return Decimal(0), "dash_zero", unit or "", None
    m = _VALUE.match(token)
    if m is None:
        return None, "missing", "", f"unreadable value {token!r}"
    sign, digits, printed_unit = m.groups()
    try:
        number = Decimal(digits)
    except InvalidOperation:
        return None, "missing", "", f"unreadable value {token!r}"
    if sign in ("-", "减"):
        number = -number
    if measure == "amount_yuan":
        scale = printed_unit or unit
        if scale in ("万元", "万"):
            return number * 10000, "number", "万元", None
        if scale == "元" or number == 0:
            return number, "number", scale or "", None
        return None, "missing", "", f"amount {token} has no unit (元 or 万元)"
    if number != number.to_integral_value():
        return None, "missing", "", f"count {token} is not a whole number"
    if sign and measure != "change":
        return None, "missing", "", f"count {token} carries a sign"
    return number, "number", "", None


def read_table2(
    lines: pl.DataFrame, tokens: pl.DataFrame, formats: dict[str, str | None]
) -> tuple[pl.DataFrame, set[str], list[dict]]:
    """Table-2 cells: values follow their item label, on its line or the lines after it, or
    further along the same line when the whole table is one line."""
    t2 = lines.filter(pl.col("section") == "t2")
    # A token that starts with an item label sets the item; so does a line whose
    # whitespace-free text starts with one (labels printed with spaces inside).
    first = pl.int_range(pl.len()).over("doc_id", "line_no") == 0
    toks = (
        tokens.filter(pl.col("section") == "t2")
        .join(t2.select("doc_id", "line_no", "compact"), on=["doc_id", "line_no"])
        .with_columns(label=pl.when(first).then(pl.col("compact")).otherwise(pl.col("token")))
    )
    item = pl.lit(None, dtype=pl.String)
    for key, pattern in reversed(ITEM_REGEX.items()):
        item = (
            pl.when(pl.col("label").str.contains(pattern.pattern)).then(pl.lit(key)).otherwise(item)
        )
    # Header cells name measures and end the item before them.
    is_header = pl.col("token").str.contains(r"信息内容|第二十条|数量|件数|金额|增/减|主动公开")
    toks = toks.with_columns(
        item=pl.when(is_header).then(pl.lit("")).otherwise(item),
        # The unit a header states holds until the next block (第二十条…) begins.
        unit=pl.when(pl.col("token").str.contains("万元") & is_header)
        .then(pl.lit("万元"))
        .when(pl.col("token").str.contains(r"\(元\)|单位:元"))
        .then(pl.lit("元"))
        .when(pl.col("token").str.contains(r"第二十条|主动公开"))
        .then(pl.lit("")),
    ).with_columns(
        pl.col("item").forward_fill().over("doc_id"),
        pl.col("unit").forward_fill().over("doc_id"),
    )
    values = toks.filter(
        pl.col("token").str.contains(VALUE_TOKEN)
        & pl.col("item").is_not_null()
        & (pl.col("item") != "")
    )
    present = set(toks.filter(pl.col("item") != "")["doc_id"].unique().to_list())
    grouped = {
        (d, i): (tk, lns, unit)
        for d, i, tk, lns, unit in values.group_by("doc_id", "item", maintain_order=True)
        .agg(pl.col("token"), pl.col("line_no"), pl.col("unit").first())
        .iter_rows()
    }
    item_lines = {
        (d, i): ln
        for d, i, ln in toks.filter(item.is_not_null())
        .group_by("doc_id", "item")
        .agg(pl.col("line_no").first())
        .iter_rows()
    }
    rows: list[tuple] = []
    issues: list[dict] = []
    for doc_id in sorted(present):
        fmt = formats.get(doc_id) or "2021"
        for spec in TABLE2_ITEMS:
            measures = spec.measures.get(fmt)
            if not measures:
                continue
            toks, lns, unit = grouped.get((doc_id, spec.key), ([], [], ""))
            line = item_lines.get((doc_id, spec.key))
            if len(toks) != len(measures):
                what = (
                    "is missing"
                    if (doc_id, spec.key) not in item_lines
                    else f"has {len(toks)} values where {len(measures)} were expected"
                )
                issues.append(
                    make_issue(
                        doc_id,
                        "cell_missing" if not toks else "cell_count",
                        "warning",
                        f"table 2 item {spec.key} {what}",
                        "S-1",
                        line,
                    )
                )
                toks, lns = [None] * len(measures), [line] * len(measures)
            for measure, token, ln in zip(measures, toks, lns, strict=True):
                if token is None:
                    value, state, unit_out, why = None, "missing", "", None
                else:
                    value, state, unit_out, why = _table2_value(token, measure, unit)
                if why:
                    issues.append(
                        make_issue(
                            doc_id,
                            "cell_unreadable",
                            "warning",
                            f"table 2 {spec.key}.{measure}: {why}",
                            "S-2",
                            ln,
                        )
                    )
                rows.append((doc_id, spec.key, measure, token, value, unit_out, state, ln))
    return make_frame("table2", rows), present, issues


_ITEM_STREAM = {item.key: re.compile(item.pattern.lstrip("^")) for item in TABLE2_ITEMS}
_T2_HEADER_WORD = re.compile(r"第二十条|信息内容")


def _unique_split(run: str, n: int) -> list[str] | None:
    """The one way to cut a digit run into n counts, none with a leading zero; None if there
    are several ways or none."""
    found: list[list[str]] = []

    def cut(rest: str, left: int, parts: list[str]) -> None:
        if len(found) > 1:
            return
        if left == 1:
            if rest and (rest == "0" or rest[0] != "0"):
                found.append([*parts, rest])
            return
        for i in range(1, len(rest) - left + 2):
            piece = rest[:i]
            if piece == "0" or piece[0] != "0":
                cut(rest[i:], left - 1, [*parts, piece])

    cut(run, n, [])
    return found[0] if len(found) == 1 else None


def read_table2_glued(
    lines: pl.DataFrame, formats: dict[str, str | None], present: set[str]
) -> tuple[pl.DataFrame, set[str], list[dict]]:
    """Table 2 of crawler text whose items and values run together on one line: each item's
    digits are cut into its measures only where one cut is possible (规章000 → 0, 0, 0);
    every other value stays null."""
    t2 = (
        lines.filter((pl.col("section") == "t2") & ~pl.col("doc_id").is_in(list(present)))
        .group_by("doc_id", maintain_order=True)
        .agg(pl.col("compact").str.join(""), pl.col("line_no").first(), n=pl.len())
    )
    rows: list[dict] = []
    issues: list[dict] = []
    found: set[str] = set()
    for doc_id, text, line, _ in t2.filter(pl.col("n") <= 3).iter_rows():
        spans = []
        pos = 0
        for key, pattern in _ITEM_STREAM.items():
            if (m := pattern.search(text, pos)) is not None:
                spans.append((key, m.start(), m.end()))
                pos = m.end()
        if len(spans) < 2:
            continue
        found.add(doc_id)
        fmt = formats.get(doc_id) or "2021"
        for i, (key, _, end) in enumerate(spans):
            stop = spans[i + 1][1] if i + 1 < len(spans) else len(text)
            segment = text[end:stop]
            if (h := _T2_HEADER_WORD.search(segment)) is not None:
                segment = segment[: h.start()]
            segment = re.sub(rf"^[{HAN}]+", "", segment)  # the rest of the item's label
            measures = ITEM_BY_KEY[key].measures.get(fmt) or ()
            run = re.match(r"\d*", segment).group()
            cells = _unique_split(run, len(measures)) if run == segment and run else None
            if cells is None and measures:
                issues.append(
                    make_issue(
                        doc_id,
                        "ambiguous_cells",
                        "warning",
                        f"table 2 item {key}: its values run together ({segment or 'nothing'}) "
                        f"and can be cut into its {len(measures)} measures in more than one way "
                        "or none; left null",
                        "S-1",
                        line,
                    )
                )
            for j, measure in enumerate(measures):
                token = cells[j] if cells else None
                value = Decimal(token) if token is not None and measure != "amount_yuan" else None
                rows.append(
                    {
                        "doc_id": doc_id,
                        "item": key,
                        "measure": measure,
                        "raw": token,
                        "value": value,
                        "unit": "",
                        "state": "number" if value is not None else "missing",
                        "line": line,
                    }
                )
    return make_frame("table2", rows), found, issues
