"""Parse a batch of normalised reports into the frames of the parse contract (DESIGN.md §6).

The batch is one polars frame of documents. Lines, sections, tokens and the assignment of
cells to rows and columns are expressions over every document at once; only the metadata,
the narrative and the fallbacks for damaged tables work document by document.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

import polars as pl

from dagster_project.parsing import glued, stream
from dagster_project.parsing.identities import broken_identities
from dagster_project.parsing.labels import (
    APPLICANT_COLUMNS,
    FORMAT_MARKERS,
    ITEM_BY_KEY,
    ITEM_REGEX,
    ROW_BY_KEY,
    SECTION_HEADINGS,
    TABLE2_ITEMS,
    TABLE3_VARIANTS,
    TABLE4_CELLS,
    format_for_year,
)

HAN = "\u4e00-\u9fff"
# A table cell: a count, or a dash that the report uses for zero.
CELL_TOKEN = r"^(?:\d{1,3}(?:,\d{3})+|\d+|[—–\-/]{1,2})$"
# Tokens written for zero: dashes, a slash, or "" (an empty cell).
DASH = r"^(?:[—–\-/]{1,2})?$"
# A table-2 value: counts, signed changes (减1, +10, 增5) and amounts with their unit.
VALUE_TOKEN = r"^(?:[+\-增减]?\d+(?:\.\d+)?(?:万元|元|万)?|[—–\-/]{1,2})?$"
# Any table-3 row label (the patterns polars' regex engine accepts).
ROW_LABEL_ANY = (
    "|".join(row.pattern for row in ROW_BY_KEY.values() if "(?" not in row.pattern)
    + r"|^3[.、,]其他$"
)
# A markdown rule row (|---|:--:|) or a plain rule (--------): three or more dashes in a run.
MARKDOWN_RULE = r"^[\s|:]*-{3,}[-\s|:]*$"
N_COLS = len(APPLICANT_COLUMNS)
MONEY = pl.Decimal(24, 2)

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "reports": {
        "doc_id": pl.String,
        "agency": pl.String,
        "agency_source": pl.String,
        "agency_parsed": pl.String,
        "year": pl.Int32,
        "year_source": pl.String,
        "format": pl.String,
        "format_source": pl.String,
        "table2_present": pl.Boolean,
        "table3_present": pl.Boolean,
        "table4_present": pl.Boolean,
        "table3_variant": pl.String,
        "n_lines": pl.Int32,
    },
    "table3": {
        "doc_id": pl.String,
        "row_key": pl.String,
        "col_key": pl.String,
        "row_order": pl.Int32,
        "col_order": pl.Int32,
        "raw": pl.String,
        "value": pl.Int64,
        "state": pl.String,
        "line": pl.Int32,
    },
    "table4": {
        "doc_id": pl.String,
        "channel": pl.String,
        "outcome": pl.String,
        "cell_order": pl.Int32,
        "raw": pl.String,
        "value": pl.Int64,
        "state": pl.String,
        "line": pl.Int32,
    },
    "table2": {
        "doc_id": pl.String,
        "item": pl.String,
        "measure": pl.String,
        "raw": pl.String,
        "value": MONEY,
        "unit": pl.String,
        "state": pl.String,
        "line": pl.Int32,
    },
    "narrative": {
        "doc_id": pl.String,
        "fact": pl.String,
        "unit": pl.String,
        "value": MONEY,
        "raw": pl.String,
        "line": pl.Int32,
    },
    "issues": {
        "doc_id": pl.String,
        "code": pl.String,
        "severity": pl.String,
        "rule": pl.String,
        "message": pl.String,
        "line": pl.Int32,
    },
}


def empty(name: str) -> pl.DataFrame:
    """An empty frame with the schema of one parse output."""
    return pl.DataFrame(schema=SCHEMAS[name])


def _frame(name: str, rows: list[dict]) -> pl.DataFrame:
    if not rows:
        return empty(name)
    return pl.DataFrame(rows, schema=SCHEMAS[name], orient="row")


@dataclass
class ParseResult:
    """The parse of a batch: one frame per staging table, keyed by doc_id."""

    reports: pl.DataFrame
    table3: pl.DataFrame
    table4: pl.DataFrame
    table2: pl.DataFrame
    narrative: pl.DataFrame
    issues: pl.DataFrame

    def only(self, doc_ids: pl.Series) -> ParseResult:
        """The rows of these documents only."""
        keep = pl.col("doc_id").is_in(doc_ids.implode())
        return ParseResult(**{f.name: getattr(self, f.name).filter(keep) for f in fields(self)})

    @classmethod
    def concat(cls, parts: list[ParseResult]) -> ParseResult:
        """Stack the results of several batches."""
        return cls(
            **{
                f.name: pl.concat([getattr(p, f.name) for p in parts]) if parts else empty(f.name)
                for f in fields(cls)
            }
        )


def _issue(
    doc_id: str,
    code: str,
    severity: str,
    message: str,
    rule: str | None = None,
    line: int | None = None,
) -> dict:
    return {
        "doc_id": doc_id,
        "code": code,
        "severity": severity,
        "rule": rule,
        "message": message,
        "line": line,
    }


# ---------------------------------------------------------------------------------------------
# Lines, sections, tokens


def _lines(docs: pl.DataFrame) -> pl.DataFrame:
    """One row per document line, with its whitespace-free form and the section it is in."""
    lines = (
        docs.select("doc_id", pl.col("text").fill_null("").str.split("\n").alias("line"))
        .with_columns(line_no=pl.int_ranges(1, pl.col("line").list.len() + 1))
        .explode("line", "line_no")
        .with_columns(
            pl.col("line_no").cast(pl.Int32),
            compact=pl.col("line").str.replace_all(r"[\s|*#>`]+", ""),
        )
    )
    heading = pl.lit(None, dtype=pl.String)
    for name, pattern in reversed(SECTION_HEADINGS.items()):
        heading = (
            pl.when(pl.col("compact").str.contains(pattern)).then(pl.lit(name)).otherwise(heading)
        )
    return lines.with_columns(section=heading.forward_fill().over("doc_id").fill_null("head"))


def _tokens(lines: pl.DataFrame, sections: tuple[str, ...]) -> pl.DataFrame:
    """Whitespace- and pipe-separated tokens of the lines of some sections, in reading order.

    An empty cell becomes the token "" where the layout shows it for sure: an empty field of a
    markdown row after the row's label, or (one cell per line, as HTML tables render) a
    whitespace-only line after the label of a block of lines that holds cells.
    """
    han = f"[{HAN}]"
    is_rule = pl.col("line").str.contains(MARKDOWN_RULE)
    is_md = pl.col("line").str.contains(r"^\s*\|.*\|\s*$")
    block = (pl.col("line") == "").cum_sum().over("doc_id")
    lines = (
        lines.filter(pl.col("section").is_in(sections))
        .with_columns(
            block=block,
            # A markdown header row is the row just above its rule row.
            header=is_md & is_rule.shift(-1).over("doc_id").fill_null(False),
            single=pl.col("compact").str.contains(CELL_TOKEN),
            label=pl.col("compact").str.contains(han),
            blank=(pl.col("line") != "") & (pl.col("compact") == ""),
            row_label=pl.col("compact").str.contains(ROW_LABEL_ANY),
        )
        .with_columns(
            block_label=pl.col("line_no").filter(pl.col("label")).max().over("doc_id", "block"),
        )
        .with_columns(
            # A block holds cells if it shows one, or if its label is a table-3 row label
            # (a row whose every cell is empty).
            block_cells=pl.col("single").any().over("doc_id", "block")
            | (pl.col("row_label") & (pl.col("line_no") == pl.col("block_label")))
            .any()
            .over("doc_id", "block"),
        )
        .filter(~is_rule)
    )
    text = (
        pl.when(is_md)
        .then(
            pl.col("line")
            .str.replace_all(r"\|[ \t]*\|", "|\x00|")
            .str.replace_all(r"\|[ \t]*\|", "|\x00|")
            .str.strip_chars()
            .str.strip_chars("|")
        )
        .otherwise(pl.col("line"))
    )
    html_blank = (
        pl.col("blank")
        & pl.col("block_cells")
        & (pl.col("block_label").is_null() | (pl.col("line_no") > pl.col("block_label")))
    )
    tokens = (
        lines.select(
            "doc_id",
            "section",
            "line_no",
            "header",
            token=pl.when(html_blank)
            .then(pl.lit(["\x00"]))
            .otherwise(text.str.replace_all(r"[\s|]+", " ").str.strip_chars().str.split(" ")),
        )
        .explode("token")
        .filter(pl.col("token").is_not_null() & (pl.col("token") != ""))
        .with_columns(tok_idx=pl.int_range(pl.len()).over("doc_id", "line_no"))
    )
    # An empty markdown field before the row's label is a row-span cell, not a value.
    last_label = (
        pl.col("tok_idx")
        .filter(pl.col("token").str.contains(han) & ~pl.col("token").str.contains(VALUE_TOKEN))
        .max()
        .over("doc_id", "line_no")
    )
    return (
        tokens.filter(
            (pl.col("token") != "\x00") | last_label.is_null() | (pl.col("tok_idx") > last_label)
        )
        .with_columns(pl.col("token").str.replace("\x00", "", literal=True))
        .drop("tok_idx")
    )


# A cell of table 3 or 4: a count, a dash or an empty cell, outside markdown header rows.
_is_cell = (pl.col("token").str.contains(CELL_TOKEN) | (pl.col("token") == "")) & ~pl.col("header")


def _cell_value(token: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Value and state of a table-3/4 cell token."""
    is_dash = token.str.contains(DASH)
    value = (
        pl.when(is_dash)
        .then(pl.lit(0, dtype=pl.Int64))
        .otherwise(token.str.replace_all(",", "").cast(pl.Int64, strict=False))
    )
    state = pl.when(is_dash).then(pl.lit("dash_zero")).otherwise(pl.lit("number"))
    return value, state


# ---------------------------------------------------------------------------------------------
# Metadata: agency, year, format

_AGENCY_SUFFIX = (
    r"(?:人民政府|政府|办公厅|办公室|局|委员会|委|厅|署|院|中心|所|会|办|处|队|站|馆|公司)"
)
_TITLE_AGENCY_FIRST = re.compile(
    rf"^([{HAN}()]{{2,40}}?{_AGENCY_SUFFIX})(20\d\d)年度?[^。]{{0,20}}?政府信息公开"
)
_TITLE_YEAR_FIRST = re.compile(
    rf"(20\d\d)年度?([{HAN}()]{{2,40}}?{_AGENCY_SUFFIX})政府信息公开(?:工作)?(?:年度)?报告"
)
# A crawler's page metadata names the report in a title field; the name may end in any word
# (平潭综合实验区, …管委会), since the field holds nothing else.
_META_TITLE = re.compile(
    rf"^(?:标题|名称|题目)[:]?([{HAN}()]{{2,40}}?)(20\d\d)年度?[^。]{{0,20}}?政府信息公开"
)
_TITLE_LINE = re.compile(rf"^([{HAN}()]{{2,40}}{_AGENCY_SUFFIX})$")
_TITLE_YEAR = re.compile(r"(20\d\d)年度?[^。]{0,30}?政府信息公开(?:工作)?(?:年度)?报告")
_PERIOD_YEAR = re.compile(r"统计(?:期限|时限|期间|时间)(?:为|是)?(?:从|自)?(20\d\d)年")
# The first sentence names the report: 现向社会公布沭阳县发展和改革局2023年度政府信息公开…
_SENTENCE_AGENCY = re.compile(
    rf"(?:公布|发布|编制了?)([{HAN}()]{{2,30}}?)(20\d\d)年度?(?:政府信息公开|信息公开)"
)
_ANY_YEAR = re.compile(r"(20\d\d)年(?!\d{1,2}月\d{1,2}日)")
_SITE_AGENCY = re.compile(
    rf"(?:请登录|登录|访问|详见)([{HAN}]{{2,30}}?{_AGENCY_SUFFIX})(?:门户网站|政府网站|网站|官网)"
)
_COUNTY_FIRST = re.compile(rf"^[{HAN}]{{1,6}}?(?:区|县|旗)")


def _expand_agency(agency: str, body: str) -> str:
    """A county-level name printed without its city gets the city the body names before it."""
    if not _COUNTY_FIRST.match(agency):
        return agency
    for match in re.finditer(rf"([{HAN}]{{2}}(?:市|州|盟))" + re.escape(agency), body):
        place = match.group(1)
        if body.count(place) >= 2:
            return place + agency
    return agency


def _first_line_match(pattern: re.Pattern[str], head: str) -> re.Match[str] | None:
    return next((m for line in head.split("\n") if (m := pattern.match(line))), None)


def _metadata(doc_id: str, head: str, body: str, s1: str) -> tuple[dict, list[dict]]:
    """Agency and reporting year from the title, else from the body (compact texts)."""
    issues: list[dict] = []
    agency = year = None
    year_source = agency_source = None
    # A title wrapped over two lines (a PDF's centred title) is read as one.
    title = "".join(head.split("\n")[:2])
    if m := (
        _TITLE_AGENCY_FIRST.search(head)
        or _first_line_match(_META_TITLE, head)
        or _TITLE_AGENCY_FIRST.search(title)
    ):
        agency, year = m.group(1), int(m.group(2))
    elif m := _TITLE_YEAR_FIRST.search(head):
        year, agency = int(m.group(1)), m.group(2)
    if agency:
        agency_source = "title"
    if year:
        year_source = "title"
    if year is None and (m := _TITLE_YEAR.search(head) or _PERIOD_YEAR.search(body)):
        year, year_source = int(m.group(1)), "title"
    if agency is None:
        for line in head.split("\n"):
            if m := _TITLE_LINE.match(line):
                agency, agency_source = m.group(1), "title"
                break
    if year is None:
        counted = Counter(int(y) for y in _ANY_YEAR.findall(s1 or body))
        if counted:
            year, year_source = counted.most_common(1)[0][0], "body"
    if agency is None and (m := _SITE_AGENCY.search(body) or _SENTENCE_AGENCY.search(body)):
        agency, agency_source = m.group(1), "body"
    if agency:
        agency = _expand_agency(agency, body)
    if agency is None:
        issues.append(
            _issue(doc_id, "agency_not_found", "warning", "no agency name in the title or the body")
        )
    if year is None:
        issues.append(
            _issue(
                doc_id, "year_not_found", "warning", "no reporting year in the title or the body"
            )
        )
    return {
        "agency_parsed": agency,
        "agency_source": agency_source,
        "year": year,
        "year_source": year_source,
    }, issues


def _meta_frame(lines: pl.DataFrame) -> tuple[pl.DataFrame, list[dict]]:
    texts = lines.group_by("doc_id", maintain_order=True).agg(
        head=pl.col("compact")
        .filter((pl.col("section") == "head") & (pl.col("compact") != ""))
        .head(15)
        .str.join("\n"),
        body=pl.col("compact").str.join(""),
        s1=pl.col("compact").filter(pl.col("section") == "s1").str.join(""),
    )
    rows, issues = [], []
    for doc_id, head, body, s1 in texts.iter_rows():
        meta, found = _metadata(doc_id, head, body, s1)
        rows.append({"doc_id": doc_id, **meta})
        issues.extend(found)
    schema = {
        "doc_id": pl.String,
        "agency_parsed": pl.String,
        "agency_source": pl.String,
        "year": pl.Int32,
        "year_source": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row"), issues


# ---------------------------------------------------------------------------------------------
# Table 3


def _table3_sequential(cells: pl.DataFrame, variants: pl.DataFrame) -> pl.DataFrame:
    """Cells of documents whose cell count fits a variant, assigned in reading order."""
    row_keys = pl.DataFrame(
        [(v, i, k) for v, keys in TABLE3_VARIANTS.items() for i, k in enumerate(keys)],
        schema={"variant": pl.String, "row_idx": pl.Int64, "row_key": pl.String},
        orient="row",
    )
    col_keys = pl.DataFrame(
        {"col_idx": range(N_COLS), "col_key": APPLICANT_COLUMNS},
        schema={"col_idx": pl.Int64, "col_key": pl.String},
    )
    value, state = _cell_value(pl.col("token"))
    return (
        cells.join(variants.filter(pl.col("sequential")), on="doc_id")
        .with_columns(row_idx=pl.col("ordinal") // N_COLS, col_idx=pl.col("ordinal") % N_COLS)
        .join(row_keys, on=["variant", "row_idx"])
        .join(col_keys, on="col_idx")
        .select(
            "doc_id",
            "row_key",
            "col_key",
            row_order=pl.col("row_idx").cast(pl.Int32),
            col_order=pl.col("col_idx").cast(pl.Int32),
            raw="token",
            value=value,
            state=state,
            line="line_no",
        )
    )


# A line naming this many table-3 rows holds the whole table: crawler text.
GLUED_MIN_LABELS = 5


def _row_cells(
    doc_id: str, key: str, order: int, tokens: list[str | None], lines: list[int | None]
) -> list[dict]:
    """The seven cell records of one table-3 row read outside the batch path."""
    return [
        {
            "doc_id": doc_id,
            "row_key": key,
            "col_key": col,
            "row_order": order,
            "col_order": col_order,
            "raw": token,
            "line": line,
            **_scalar_cell(token),
        }
        for col_order, (col, token, line) in enumerate(
            zip(APPLICANT_COLUMNS, tokens, lines, strict=True)
        )
    ]


def _scalar_cell(token: str | None) -> dict:
    if token is None:
        return {"value": None, "state": "missing"}
    if re.match(DASH, token):
        return {"value": 0, "state": "dash_zero"}
    return {"value": int(token.replace(",", "")), "state": "number"}


def _table3(
    lines: pl.DataFrame, tokens: pl.DataFrame, texts: dict[str, str]
) -> tuple[pl.DataFrame, pl.DataFrame, list[dict]]:
    """Table-3 cells and, per document, whether it is present and which variant it has."""
    cells = tokens.filter((pl.col("section") == "t3") & _is_cell).with_columns(
        ordinal=pl.int_range(pl.len()).over("doc_id")
    )
    labels = (
        lines.filter(pl.col("section") == "t3")
        .group_by("doc_id")
        .agg(
            three_other=pl.col("compact").str.contains(r"逾期不补正|缴纳费用").any(),
            single_other=pl.col("compact").str.contains(r"其他处理").any(),
        )
    )
    n_single = len(TABLE3_VARIANTS["single_other"]) * N_COLS
    n_three = len(TABLE3_VARIANTS["three_other"]) * N_COLS
    variants = (
        # A document has a table 3 if it shows cells, or a line naming many of its rows
        # (crawler text whose cells are all run into the labels).
        pl.concat(
            [
                cells.group_by("doc_id").agg(n=pl.len()),
                lines.filter(
                    (pl.col("section") == "t3")
                    & (pl.col("compact").str.count_matches(ROW_LABEL_ANY) >= GLUED_MIN_LABELS)
                )
                .select("doc_id", n=pl.lit(0, dtype=pl.UInt32))
                .unique(),
            ]
        )
        .group_by("doc_id")
        .agg(pl.col("n").max())
        .join(labels, on="doc_id", how="left")
        .with_columns(pl.col("three_other").fill_null(False))
        .with_columns(
            # A count that fits one variant while the labels name the other is a damaged
            # table (a three-row report cut two rows short has the single-row count).
            variant=pl.when(pl.col("n") == n_three)
            .then(pl.lit("three_other"))
            .when((pl.col("n") == n_single) & ~pl.col("three_other"))
            .then(pl.lit("single_other"))
            .when(pl.col("three_other"))
            .then(pl.lit("three_other"))
            .otherwise(pl.lit("single_other")),
        )
        .with_columns(
            sequential=(pl.col("n") == n_three)
            | ((pl.col("n") == n_single) & ~pl.col("three_other"))
        )
    )
    sequential = _table3_sequential(cells, variants)
    # A sequential reading that breaks an identity may be the layout's doing: read again.
    doubtful = set(
        broken_identities(
            sequential.select(
                "doc_id", pl.lit("table3").alias("table"), "row_key", "col_key", "value", "line"
            )
        )["doc_id"].to_list()
    )
    out = [sequential.filter(~pl.col("doc_id").is_in(list(doubtful)))]
    issues: list[dict] = []
    again = set(variants.filter(~pl.col("sequential"))["doc_id"].to_list()) | doubtful
    # Documents where no line holds table 3 (crawler text on one line) are read as a stream too.
    again |= set(texts) - set(variants["doc_id"].to_list())
    for doc_id, variant, n in (
        variants.filter(~pl.col("sequential")).select("doc_id", "variant", "n").iter_rows()
    ):
        if n:
            expected = len(TABLE3_VARIANTS[variant]) * N_COLS
            issues.append(
                _issue(
                    doc_id,
                    "cell_count",
                    "warning",
                    f"table 3 has {n} cells in reading order where {expected} were expected; "
                    "rows were read by their labels",
                    "S-1",
                )
            )
    found = []
    streamed: list[dict] = []
    for doc_id in sorted(again):
        rows, variant = _table3_stream(doc_id, texts[doc_id], issues)
        if rows:
            streamed += rows
            found.append((doc_id, variant))
    out.append(_frame("table3", streamed))
    variants = pl.concat(
        [
            variants.filter(~pl.col("doc_id").is_in(list(again))).select("doc_id", "variant"),
            pl.DataFrame(found, schema={"doc_id": pl.String, "variant": pl.String}, orient="row"),
        ]
    )
    table3 = pl.concat([o.cast(SCHEMAS["table3"]) for o in out]) if out else empty("table3")
    return table3, variants, issues


def _table3_stream(doc_id: str, text: str, issues: list[dict]) -> tuple[list[dict], str]:
    """Table 3 of one document read as a stream (stream.py), with an issue per null row."""
    span = stream.find_region(text)
    if span is None:
        return [], ""
    begin, end = span
    region_text = text[begin:end]
    labels = stream.STREAM_ROW
    if sum(1 for k in TABLE3_VARIANTS["three_other"] if labels[k].search(region_text)) < (
        GLUED_MIN_LABELS
    ):
        return [], ""
    variant = "three_other" if re.search(r"逾期不补正|缴纳费用", region_text) else "single_other"
    keys = TABLE3_VARIANTS[variant]
    first_line = text.count("\n", 0, begin) + 1
    verdicts, region = stream.read_table3(region_text, keys, first_line)
    rows = []
    for order, key in enumerate(keys):
        verdict = verdicts[key]
        if verdict.reason:
            label = region.labels.get(key)
            line = first_line + region_text.count("\n", 0, label[0]) if label else first_line
            issues.append(
                _issue(
                    doc_id,
                    verdict.code,
                    "warning",
                    f"table 3 row {key} left null: {verdict.reason}",
                    "S-1",
                    line,
                )
            )
        rows += _row_cells(doc_id, key, order, verdict.tokens, verdict.lines)
    split = [k for k in keys if "split" in verdicts[k].readings and not verdicts[k].reason]
    if split:
        issues.append(
            _issue(
                doc_id,
                "cells_split",
                "info",
                f"table 3 cells run together in {len(split)} rows were split where the identities "
                "leave exactly one reading",
                None,
                first_line,
            )
        )
    return rows, variant


# ---------------------------------------------------------------------------------------------
# Table 4


def _table4(tokens: pl.DataFrame, texts: dict[str, str]) -> tuple[pl.DataFrame, list[dict]]:
    """Table-4 cells: fifteen in reading order, or the one reading the identities allow."""
    cells = tokens.filter((pl.col("section") == "t4") & _is_cell)
    # Crawler text on one line has no table-4 section: its cells are found in the stream.
    seen = set(cells["doc_id"].unique().to_list())
    streamed = [
        {"doc_id": d, "section": "t4", "line_no": found[1], "header": False, "token": t}
        for d in sorted(set(texts) - seen)
        if (found := stream.table4_cells(texts[d])) is not None
        for t in found[0]
    ]
    if streamed:
        cells = pl.concat(
            [cells, pl.DataFrame(streamed, schema=cells.schema, orient="row")], how="vertical"
        )
    cells = cells.with_columns(
        ordinal=pl.int_range(pl.len()).over("doc_id"), n=pl.len().over("doc_id")
    )
    keys = pl.DataFrame(
        [(i, ch, oc) for i, (ch, oc) in enumerate(TABLE4_CELLS)],
        schema={"ordinal": pl.Int64, "channel": pl.String, "outcome": pl.String},
        orient="row",
    )
    value, state = _cell_value(pl.col("token"))
    good = (
        cells.filter(pl.col("n") == len(TABLE4_CELLS))
        .join(keys, on="ordinal")
        .select(
            "doc_id",
            "channel",
            "outcome",
            cell_order=pl.col("ordinal").cast(pl.Int32),
            raw="token",
            value=value,
            state=state,
            line="line_no",
        )
    )
    rows: list[dict] = []
    issues: list[dict] = []
    odd = cells.filter(pl.col("n") != len(TABLE4_CELLS))
    for (doc_id,), group in odd.group_by("doc_id", maintain_order=True):
        tokens_ = group["token"].to_list()
        line_nos = group["line_no"].to_list()
        n = len(tokens_)
        values: list[str] | None = None
        cell_lines: list[int | None] = [line_nos[0]] * len(TABLE4_CELLS)
        if n > len(TABLE4_CELLS) and (start := _table4_window(tokens_)) is not None:
            values = tokens_[start : start + 15]
            cell_lines = line_nos[start : start + 15]
            note = "the identities leave one reading"
        elif n < len(TABLE4_CELLS) and (columns := stream.table4_columns(texts[doc_id])):
            values, cell_lines = columns
            note = "blank cells found by the column each number sits under"
        elif (
            n < len(TABLE4_CELLS)
            # Digits are split only where they surely ran together: blanks that vanished from
            # PDF text must not be split into.
            and (found := stream.table4_cells(texts[doc_id])) is not None
            and found[2]
            and (readings := glued.split_runs(found[0], T4_GROUPS))
        ):
            if len(readings) == 1:
                values = [str(v) for v in readings[0]]
                note = "cells run together were split where the identities leave one reading"
        if values is None:
            note = "the identities do not leave one reading; cells left missing"
            code = "ambiguous_cells" if n < len(TABLE4_CELLS) else "cell_count"
        else:
            code = "cell_count"
        issues.append(
            _issue(
                doc_id,
                code,
                "warning",
                f"table 4 has {n} cells where 15 were expected; {note}",
                "S-1",
                line_nos[0],
            )
        )
        for i, (channel, outcome) in enumerate(TABLE4_CELLS):
            raw = None if values is None else values[i]
            rows.append(
                {
                    "doc_id": doc_id,
                    "channel": channel,
                    "outcome": outcome,
                    "cell_order": i,
                    "raw": raw,
                    "line": cell_lines[i],
                    **_scalar_cell(raw),
                }
            )
    table4 = pl.concat([good.cast(SCHEMAS["table4"]), _frame("table4", rows)])
    return table4, issues


# Table 4 as three groups of four outcomes and their total.
T4_GROUPS = [(0, 4), (5, 4), (10, 4)]


def _table4_window(tokens: list[str]) -> int | None:
    """Start of a run of fifteen cells that satisfies T4-1, if every such run reads the same."""
    if len(tokens) < len(TABLE4_CELLS):
        return None
    readings: dict[tuple[int, ...], int] = {}
    for start in range(len(tokens) - len(TABLE4_CELLS) + 1):
        values = tuple(_scalar_cell(t)["value"] for t in tokens[start : start + 15])
        if all(sum(values[i : i + 4]) == values[i + 4] for i in (0, 5, 10)):
            readings.setdefault(values, start)
    return next(iter(readings.values())) if len(readings) == 1 else None


# ---------------------------------------------------------------------------------------------
# Table 2


def _table2_value(
    token: str, measure: str, unit: str | None
) -> tuple[Decimal | None, str, str, str | None]:
    """Value, state, unit and the reason it could not be read, for one table-2 token."""
    if re.match(DASH, token):
        return Decimal(0), "dash_zero", unit or "", None
    m = re.match(r"^([+\-增减]?)(\d+(?:\.\d+)?)(万元|元|万)?$", token)
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


def _table2(
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
    rows: list[dict] = []
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
                    _issue(
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
                        _issue(
                            doc_id,
                            "cell_unreadable",
                            "warning",
                            f"table 2 {spec.key}.{measure}: {why}",
                            "S-2",
                            ln,
                        )
                    )
                rows.append(
                    {
                        "doc_id": doc_id,
                        "item": spec.key,
                        "measure": measure,
                        "raw": token,
                        "value": value,
                        "unit": unit_out,
                        "state": state,
                        "line": ln,
                    }
                )
    return _frame("table2", rows), present, issues


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


def _table2_glued(
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
                    _issue(
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
    return _frame("table2", rows), found, issues


# ---------------------------------------------------------------------------------------------
# Narrative facts (section 一)

_UNIT = r"(?:件|宗|份|条|个)"
_NOUN = r"(?:的)?(?:信息|申请)?"
NARRATIVE_PATTERNS: dict[str, str] = {
    "applications_received": (
        rf"(?:受理|新收|收到)(?:了)?(?:政府)?信息公开申请(?:件|共)?(\d+){_UNIT}"
    ),
    "applications_handled": rf"办理(?:了)?(?:政府)?信息公开申请(\d+){_UNIT}",
    "applications_closed": rf"(?:办结|答复)(?:了)?(?:申请)?(\d+){_UNIT}",
    "granted": rf"(?:^|[^不])予以公开{_NOUN}(\d+){_UNIT}",
    "partial": rf"部分公开{_NOUN}(\d+){_UNIT}",
    "denied": rf"不予公开{_NOUN}(\d+){_UNIT}",
    "unavailable": rf"无法提供{_NOUN}(\d+){_UNIT}",
    "review_cases": rf"(?:政府)?信息公开行政复议(?:案件)?(\d+){_UNIT}",
    "litigation_cases": rf"行政诉讼(?:案件)?(\d+){_UNIT}",
    "proactive_items": rf"主动公开(?:各类)?政府信息(\d+){_UNIT}",
}
SHARE_PATTERNS: dict[str, str] = {
    key: NARRATIVE_PATTERNS[key].replace(r"(\d+)", r"\d+") + r",?占(?:总数的?)?(\d+(?:\.\d+)?)%"
    for key in ("granted", "partial", "denied", "unavailable")
}
_CARRIED_INCLUDED = re.compile(r"\(含上年(?:度)?结转(?:申请)?\d+")
_FACTS = [
    *((fact, "count", re.compile(p)) for fact, p in NARRATIVE_PATTERNS.items()),
    *((fact, "percent", re.compile(p)) for fact, p in SHARE_PATTERNS.items()),
]


def _narrative(lines: pl.DataFrame) -> pl.DataFrame:
    """Counts and shares stated in section 一 (or, without it, the text before table 2)."""
    has_s1 = (pl.col("section") == "s1").any().over("doc_id")
    texts = (
        lines.filter(pl.col("section").is_in(["s1", "head"]))
        .filter((pl.col("section") == "s1") | ~has_s1)
        .group_by("doc_id", maintain_order=True)
        .agg("line_no", "compact")
    )
    rows: list[dict] = []
    for doc_id, line_nos, compacts in texts.iter_rows():
        text = "".join(compacts)
        starts = list(itertools.accumulate((len(c) for c in compacts[:-1]), initial=0))
        found: set[str] = set()
        for fact, unit, pattern in _FACTS:
            if (m := pattern.search(text)) is None:
                continue
            if unit == "count":
                if fact == "applications_received" and _CARRIED_INCLUDED.match(text, m.end()):
                    fact = "applications_handled"
                if fact in found:
                    continue
                found.add(fact)
            rows.append(
                {
                    "doc_id": doc_id,
                    "fact": fact,
                    "unit": unit,
                    "value": Decimal(m.group(1)),
                    "raw": m.group(0),
                    "line": line_nos[bisect.bisect_right(starts, m.start(1)) - 1],
                }
            )
    return _frame("narrative", rows)


# Which table figure each stated count must equal: rows (table 3, total column) or channels.
NARRATIVE_CHECKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "applications_received": ("table3", ("new_received",)),
    "applications_handled": ("table3", ("new_received", "carried_over")),
    "applications_closed": ("table3", ("total",)),
    "granted": ("table3", ("granted",)),
    "partial": ("table3", ("partial",)),
    "denied": ("table3", tuple(k for k, r in ROW_BY_KEY.items() if r.category == "denied")),
    "unavailable": (
        "table3",
        tuple(k for k, r in ROW_BY_KEY.items() if r.category == "unavailable"),
    ),
    "review_cases": ("table4", ("review",)),
    "litigation_cases": ("table4", ("litigation_direct", "litigation_after_review")),
}
SHARE_TOLERANCE = Decimal("0.11")


def _narrative_issues(
    narrative: pl.DataFrame, table3: pl.DataFrame, table4: pl.DataFrame
) -> list[dict]:
    """N-1: every stated count equals its table figure; every share fits its counts."""
    totals: dict[tuple[str, str, str], int | None] = {}
    for d, r, v in (
        table3.filter(pl.col("col_key") == "total").select("doc_id", "row_key", "value").iter_rows()
    ):
        totals[(d, "table3", r)] = v
    for d, ch, v in (
        table4.filter(pl.col("outcome") == "total").select("doc_id", "channel", "value").iter_rows()
    ):
        totals[(d, "table4", ch)] = v
    issues: list[dict] = []
    stated: dict[tuple[str, str], Decimal] = {}
    for doc_id, fact, unit, value, line in narrative.select(
        "doc_id", "fact", "unit", "value", "line"
    ).iter_rows():
        if unit == "count":
            stated[(doc_id, fact)] = value
            table, keys = NARRATIVE_CHECKS.get(fact, (None, ()))
            figures = [totals.get((doc_id, table, k), "absent") for k in keys]
            if not keys or "absent" in figures or None in figures:
                continue
            if sum(figures) != value:
                issues.append(
                    _issue(
                        doc_id,
                        "narrative_mismatch",
                        "warning",
                        f"the text states {fact} = {int(value)} but the tables give {sum(figures)} "
                        f"({' + '.join(keys)})",
                        "N-1",
                        line,
                    )
                )
    for doc_id, fact, unit, value, line in narrative.select(
        "doc_id", "fact", "unit", "value", "line"
    ).iter_rows():
        if unit != "percent":
            continue
        part = stated.get((doc_id, fact))
        base = stated.get((doc_id, "applications_received")) or stated.get(
            (doc_id, "applications_handled")
        )
        if part is None or not base:
            continue
        share = part * 100 / base
        if abs(share - value) > SHARE_TOLERANCE:
            issues.append(
                _issue(
                    doc_id,
                    "narrative_mismatch",
                    "warning",
                    f"the text states {fact} is {float(value)}% but {int(part)} of {int(base)} "
                    f"is {share:.1f}%",
                    "N-1",
                    line,
                )
            )
    return issues


# ---------------------------------------------------------------------------------------------
# The batch


def _formats(
    lines: pl.DataFrame, years: dict[str, int | None]
) -> dict[str, tuple[str | None, str]]:
    markers = lines.group_by("doc_id").agg(
        **{f"m{fmt}": pl.col("compact").str.contains(p).any() for fmt, p in FORMAT_MARKERS.items()}
    )
    found: dict[str, tuple[str | None, str]] = {}
    for doc_id, m2019, m2021 in markers.select("doc_id", "m2019", "m2021").iter_rows():
        if m2019 != m2021 and (m2019 or m2021):
            found[doc_id] = ("2019" if m2019 else "2021", "labels")
        else:
            fallback = format_for_year(years.get(doc_id))
            found[doc_id] = (fallback, "year" if not (m2019 and m2021) else "labels_mixed")
    return found


def parse_batch(docs: pl.DataFrame) -> ParseResult:
    """Parse a batch of normalised reports (columns doc_id and text; optional agency_hint and
    year_hint from a manifest) into the contract frames, one report per doc_id."""
    if docs.is_empty():
        return ParseResult(**{f.name: empty(f.name) for f in fields(ParseResult)})
    docs, line_maps = _split_sections(docs)
    result = _parse(docs)
    return _restore_lines(result, line_maps) if line_maps else result


# A section heading inside a line (crawler pages put the whole report on one line).
_INLINE_HEADING = re.compile(
    r"(?<=\S)[ \t]*(?=[一二三四五六][、.,]\s*(?:总体情况|主动公开政府信息"
    r"|收到和处理政府信息公开申请|政府信息公开行政复议|(?:政府信息公开工作)?存在的?主要问题"
    r"|其他需要报告))"
)
LONG_LINE = 400


def _split_sections(docs: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, list[int]]]:
    """Documents with a long line holding several section headings get a line break before
    each heading, so sections are found line by line; the map gives each new line's number in
    the document as it was."""
    long = docs.filter(
        pl.col("text")
        .fill_null("")
        .str.split("\n")
        .list.eval(pl.element().str.len_chars())
        .list.max()
        > LONG_LINE
    )
    maps: dict[str, list[int]] = {}
    texts: dict[str, str] = {}
    for doc_id, text in long.select("doc_id", "text").iter_rows():
        out: list[str] = []
        origin: list[int] = []
        for n, line in enumerate(text.split("\n"), start=1):
            parts = _INLINE_HEADING.split(line) if len(line) > LONG_LINE else [line]
            parts = parts if len(parts) > 2 else [line]  # two headings or more: a flattened page
            out += parts
            origin += [n] * len(parts)
        if len(out) > text.count("\n") + 1:
            maps[doc_id] = [0, *origin]
            texts[doc_id] = "\n".join(out)
    if not texts:
        return docs, {}
    split = pl.DataFrame({"doc_id": list(texts), "split_text": list(texts.values())})
    docs = (
        docs.join(split, on="doc_id", how="left")
        .with_columns(pl.coalesce("split_text", "text").alias("text"))
        .drop("split_text")
    )
    return docs, maps


def _restore_lines(result: ParseResult, maps: dict[str, list[int]]) -> ParseResult:
    """Line numbers of split documents turned back into the lines of the document as it was."""
    pairs = pl.DataFrame(
        [(d, i, o) for d, origin in maps.items() for i, o in enumerate(origin) if i],
        schema={"doc_id": pl.String, "line": pl.Int32, "orig": pl.Int32},
        orient="row",
    )
    out = {}
    for f in fields(ParseResult):
        frame = getattr(result, f.name)
        if "line" in frame.columns:
            frame = (
                frame.join(pairs, on=["doc_id", "line"], how="left")
                .with_columns(pl.coalesce("orig", "line").alias("line"))
                .drop("orig")
            )
        out[f.name] = frame
    return ParseResult(**out)


def _parse(docs: pl.DataFrame) -> ParseResult:
    lines = _lines(docs)
    tokens = _tokens(lines, ("t2", "t3", "t4"))
    meta, issues = _meta_frame(lines)
    years = dict(meta.select("doc_id", "year").iter_rows())
    formats = _formats(lines, years)
    texts = dict(docs.select("doc_id", pl.col("text").fill_null("")).iter_rows())
    table3, variants, t3_issues = _table3(lines, tokens, texts)
    table4, t4_issues = _table4(tokens, texts)
    fmt_only = {d: f for d, (f, _) in formats.items()}
    table2, t2_present, t2_issues = _table2(lines, tokens, fmt_only)
    glued2, glued_present, glued_issues = _table2_glued(lines, fmt_only, t2_present)
    t2_issues += glued_issues
    table2 = pl.concat([table2, glued2])
    t2_present |= glued_present
    narrative = _narrative(lines)
    issues += t3_issues + t4_issues + t2_issues

    t3_present = set(table3["doc_id"].unique().to_list())
    t4_present = set(table4["doc_id"].unique().to_list())
    variant_of = dict(variants.iter_rows())
    hints = {
        c: dict(docs.select("doc_id", c).iter_rows())
        for c in ("agency_hint", "year_hint")
        if c in docs.columns
    }
    report_rows = []
    for doc_id, agency_parsed, agency_source, year, year_source in meta.iter_rows():
        fmt, fmt_source = formats.get(doc_id, (None, "year"))
        agency = agency_parsed
        hint = hints.get("agency_hint", {}).get(doc_id)
        if hint:
            if agency_parsed and hint != agency_parsed:
                issues.append(
                    _issue(
                        doc_id,
                        "manifest_mismatch",
                        "info",
                        f"manifest agency {hint} differs from the text's {agency_parsed}",
                    )
                )
            agency, agency_source = hint, "manifest"
        year_hint = hints.get("year_hint", {}).get(doc_id)
        if year_hint:
            if year and int(year_hint) != year:
                issues.append(
                    _issue(
                        doc_id,
                        "manifest_mismatch",
                        "warning",
                        f"manifest year {year_hint} differs from the text's {year}",
                    )
                )
            if year is None:
                year, year_source = int(year_hint), "manifest"
        expected = format_for_year(year)
        if fmt and expected and fmt != expected and fmt_source.startswith("labels"):
            issues.append(
                _issue(
                    doc_id,
                    "year_format_mismatch",
                    "warning",
                    f"the labels are of format {fmt} but year {year} uses {expected}",
                    "S-1",
                )
            )
        if fmt_source == "labels_mixed":
            issues.append(
                _issue(
                    doc_id,
                    "format_mixed",
                    "info",
                    f"labels of both formats; format {fmt} taken from the year",
                )
            )
        variant = variant_of.get(doc_id) if doc_id in t3_present else None
        if fmt == "2021" and variant == "single_other":
            issues.append(
                _issue(
                    doc_id,
                    "hybrid_other_row",
                    "info",
                    "format 2021 report whose table 3 keeps the single （六）其他处理 "
                    "row; kept as row other",
                )
            )
        if fmt == "2019" and variant == "three_other":
            issues.append(
                _issue(
                    doc_id,
                    "hybrid_other_row",
                    "info",
                    "format 2019 report whose table 3 has the three 2021 （六） rows",
                )
            )
        present = {
            "table2": doc_id in t2_present,
            "table3": doc_id in t3_present,
            "table4": doc_id in t4_present,
        }
        for table, ok in present.items():
            if not ok:
                issues.append(
                    _issue(
                        doc_id,
                        "table_missing",
                        "warning",
                        f"{table} is absent from the report",
                        "S-1",
                    )
                )
        report_rows.append(
            {
                "doc_id": doc_id,
                "agency": agency,
                "agency_source": agency_source,
                "agency_parsed": agency_parsed,
                "year": year,
                "year_source": year_source,
                "format": fmt,
                "format_source": fmt_source,
                "table2_present": present["table2"],
                "table3_present": present["table3"],
                "table4_present": present["table4"],
                "table3_variant": variant,
                "n_lines": None,
            }
        )
    reports = (
        _frame("reports", report_rows)
        .drop("n_lines")
        .join(
            lines.group_by("doc_id").agg(n_lines=pl.len().cast(pl.Int32)), on="doc_id", how="left"
        )
        .select(list(SCHEMAS["reports"]))
    )

    issues += _identity_issues(table3, table4, table2, reports)
    issues += _narrative_issues(narrative, table3, table4)
    return ParseResult(
        reports=reports,
        table3=table3,
        table4=table4,
        table2=table2,
        narrative=narrative,
        issues=_frame("issues", issues),
    )


def _identity_issues(
    table3: pl.DataFrame, table4: pl.DataFrame, table2: pl.DataFrame, reports: pl.DataFrame
) -> list[dict]:
    """Identities T3-1..T4-1 and T2-1 broken in the source, and negative counts (S-2)."""
    cells = pl.concat(
        [
            table3.select(
                "doc_id", pl.lit("table3").alias("table"), "row_key", "col_key", "value", "line"
            ),
            table4.select(
                "doc_id",
                pl.lit("table4").alias("table"),
                pl.col("channel").alias("row_key"),
                pl.col("outcome").alias("col_key"),
                "value",
                "line",
            ),
        ]
    )
    issues = [
        _issue(
            doc_id,
            "identity_broken",
            "warning",
            f"{rule} broken for {group}: parts add up to {expected}, reported {reported}",
            rule,
            line,
        )
        for doc_id, rule, group, expected, reported, _, line in broken_identities(cells).iter_rows()
    ]
    # T2-1 holds in format 2019 only, between these measures of one item.
    t2 = {
        (d, i, m): (v, ln)
        for d, i, m, v, ln in table2.join(
            reports.filter(pl.col("format") == "2019").select("doc_id"), on="doc_id"
        )
        .filter(
            pl.col("measure").is_in(["new_published", "total_published", "change", "prev_items"])
            & pl.col("value").is_not_null()
        )
        .select("doc_id", "item", "measure", "value", "line")
        .iter_rows()
    }
    for (doc_id, item, measure), (value, line) in t2.items():
        if measure == "new_published":
            total = t2.get((doc_id, item, "total_published"), (None,))[0]
            if total is not None and value > total:
                issues.append(
                    _issue(
                        doc_id,
                        "identity_broken",
                        "warning",
                        f"T2-1 broken for {item}: new_published {value} > total_published {total}",
                        "T2-1",
                        line,
                    )
                )
        if measure == "change":
            prev = t2.get((doc_id, item, "prev_items"), (None,))[0]
            if prev is not None and prev + value < 0:
                issues.append(
                    _issue(
                        doc_id,
                        "identity_broken",
                        "warning",
                        f"T2-1 broken for {item}: prev_items {prev} + change {value} < 0",
                        "T2-1",
                        line,
                    )
                )
    return issues
