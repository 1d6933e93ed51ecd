"""Parse a batch of normalised reports into the frames of the parse contract (DESIGN.md §6).

The batch is one polars frame of documents. Lines, sections, tokens and the assignment of
cells to rows and columns are expressions over every document at once; only the metadata,
the narrative and the fallbacks for damaged tables work document by document.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import fields

import polars as pl

from dagster_project.parsing import stream
from dagster_project.parsing.frames import (
    CELL_TOKEN,
    HAN,
    IS_CELL,
    N_COLS,
    SCHEMAS,
    VALUE_TOKEN,
    ParseResult,
    cell_value,
    empty,
    from_columns,
    make_frame,
    make_issue,
    scalar_cell,
)
from dagster_project.parsing.identities import broken_identities
from dagster_project.parsing.labels import (
    APPLICANT_COLUMNS,
    ROW_BY_KEY,
    SECTION_HEADINGS,
    TABLE3_VARIANTS,
    format_for_year,
)
from dagster_project.parsing.metadata import detect_formats, meta_frame
from dagster_project.parsing.narrative import narrative_issues, read_narrative
from dagster_project.parsing.table2 import read_table2, read_table2_glued
from dagster_project.parsing.table4 import read_table4

# Any table-3 row label (the patterns polars' regex engine accepts).
ROW_LABEL_ANY = (
    "|".join(row.pattern for row in ROW_BY_KEY.values() if "(?" not in row.pattern)
    + r"|^3[.、,]其他$"
)
# A markdown rule row (|---|:--:|) or a plain rule (--------): three or more dashes in a run.
MARKDOWN_RULE = r"^[\s|:]*-{3,}[-\s|:]*$"


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
    # Lines come document after document: a block (lines between blank lines) is numbered
    # across the batch, so windows over it need no document key.
    same_doc = pl.col("doc_id") == pl.col("doc_id").shift(1)
    block = ((pl.col("line") == "") | ~same_doc.fill_null(False)).cum_sum()
    next_is_rule = is_rule.shift(-1) & (pl.col("doc_id").shift(-1) == pl.col("doc_id"))
    lines = (
        lines.filter(pl.col("section").is_in(sections))
        .with_columns(
            block=block,
            # A markdown header row is the row just above its rule row.
            header=is_md & next_is_rule.fill_null(False),
            single=pl.col("compact").str.contains(CELL_TOKEN),
            label=pl.col("compact").str.contains(han),
            blank=(pl.col("line") != "") & (pl.col("compact") == ""),
            row_label=pl.col("compact").str.contains(ROW_LABEL_ANY),
        )
        .with_columns(
            block_label=pl.col("line_no").filter(pl.col("label")).max().over("block"),
        )
        .with_columns(
            # A block holds cells if it shows one, or if its label is a table-3 row label
            # (a row whose every cell is empty).
            block_cells=pl.col("single").any().over("block")
            | (pl.col("row_label") & (pl.col("line_no") == pl.col("block_label")))
            .any()
            .over("block"),
        )
        .filter(~is_rule)
    )
    text = (
        pl.when(is_md)
        .then(
            pl.col("line")
            .str.replace_all(r"\|[ \t]*\|", "|\x00|")
            .str.replace_all(r"\|[ \t]*\|", "|\x00|")
        )
        .otherwise(pl.col("line"))
    )
    html_blank = (
        pl.col("blank")
        & pl.col("block_cells")
        & (pl.col("block_label").is_null() | (pl.col("line_no") > pl.col("block_label")))
    )
    tokens = (
        lines.with_row_index("line_id")
        .select(
            "doc_id",
            "section",
            "line_no",
            "header",
            "line_id",
            token=pl.when(html_blank)
            .then(pl.lit(["\x00"]))
            .otherwise(text.str.extract_all(r"[^\s|]+")),
        )
        .explode("token")
        .filter(pl.col("token").is_not_null() & (pl.col("token") != ""))
    )
    # An empty markdown field before the row's label is a row-span cell, not a value: it has
    # a label after it on its line (the next label's line, filled back, is its own).
    is_label = pl.col("token").str.contains(han) & ~pl.col("token").str.contains(VALUE_TOKEN)
    label_after = pl.when(is_label).then(pl.col("line_id")).backward_fill() == pl.col("line_id")
    return (
        tokens.filter((pl.col("token") != "\x00") | ~label_after.fill_null(False))
        .with_columns(pl.col("token").str.replace("\x00", "", literal=True))
        .drop("line_id")
    )


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
    value, state = cell_value(pl.col("token"))
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


def _add_row(
    cells: dict[str, list], doc_id: str, key: str, order: int, tokens: list, lines: list
) -> None:
    """The seven cells of one table-3 row read outside the batch path, added to the columns
    of the table-3 schema."""
    read = list(map(scalar_cell, tokens))
    cells["doc_id"] += [doc_id] * N_COLS
    cells["row_key"] += [key] * N_COLS
    cells["col_key"] += APPLICANT_COLUMNS
    cells["row_order"] += [order] * N_COLS
    cells["col_order"] += range(N_COLS)
    cells["raw"] += tokens
    cells["value"] += [value for value, _ in read]
    cells["state"] += [state for _, state in read]
    cells["line"] += lines


def _table3(
    lines: pl.DataFrame, tokens: pl.DataFrame, texts: dict[str, str]
) -> tuple[pl.DataFrame, pl.DataFrame, list[dict]]:
    """Table-3 cells and, per document, whether it is present and which variant it has."""
    cells = tokens.filter((pl.col("section") == "t3") & IS_CELL).with_columns(
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
                make_issue(
                    doc_id,
                    "cell_count",
                    "warning",
                    f"table 3 has {n} cells in reading order where {expected} were expected; "
                    "rows were read by their labels",
                    "S-1",
                )
            )
    found = []
    streamed: dict[str, list] = {col: [] for col in SCHEMAS["table3"]}
    for doc_id in sorted(again):
        if variant := _table3_stream(doc_id, texts[doc_id], issues, streamed):
            found.append((doc_id, variant))
    out.append(from_columns("table3", streamed.values()))
    variants = pl.concat(
        [
            variants.filter(~pl.col("doc_id").is_in(list(again))).select("doc_id", "variant"),
            pl.DataFrame(found, schema={"doc_id": pl.String, "variant": pl.String}, orient="row"),
        ]
    )
    table3 = pl.concat([o.cast(SCHEMAS["table3"]) for o in out]) if out else empty("table3")
    return table3, variants, issues


def _table3_stream(doc_id: str, text: str, issues: list[dict], cells: dict[str, list]) -> str:
    """Table 3 of one document read as a stream (stream.py) into the columns `cells`, with an
    issue per null row; its variant, or "" where no table 3 was found."""
    span = stream.find_region(text)
    if span is None:
        return ""
    begin, end = span
    region_text = text[begin:end]
    labels = stream.STREAM_ROW
    found = (k for k in TABLE3_VARIANTS["three_other"] if labels[k].search(region_text))
    if len(list(itertools.islice(found, GLUED_MIN_LABELS))) < GLUED_MIN_LABELS:
        return ""
    variant = "three_other" if re.search(r"逾期不补正|缴纳费用", region_text) else "single_other"
    keys = TABLE3_VARIANTS[variant]
    first_line = text.count("\n", 0, begin) + 1
    verdicts, region = stream.read_table3(region_text, keys, first_line)
    for order, key in enumerate(keys):
        verdict = verdicts[key]
        if verdict.reason:
            label = region.labels.get(key)
            line = first_line + region_text.count("\n", 0, label[0]) if label else first_line
            issues.append(
                make_issue(
                    doc_id,
                    verdict.code,
                    "warning",
                    f"table 3 row {key} left null: {verdict.reason}",
                    "S-1",
                    line,
                )
            )
        _add_row(cells, doc_id, key, order, verdict.tokens, verdict.lines)
    split = [k for k in keys if "split" in verdicts[k].readings and not verdicts[k].reason]
    if split:
        issues.append(
            make_issue(
                doc_id,
                "cells_split",
                "info",
                f"table 3 cells run together in {len(split)} rows were split where the identities "
                "leave exactly one reading",
                None,
                first_line,
            )
        )
    return variant


# ---------------------------------------------------------------------------------------------
# The batch


def parse_batch(docs: pl.DataFrame) -> ParseResult:
    """Parse a batch of normalised reports (columns doc_id and text; optional agency_hint and
    year_hint from a manifest; locations, each line's place in its document) into the contract
    frames, one report per doc_id."""
    if docs.is_empty():
        return ParseResult.concat([])
    split, line_maps = _split_sections(docs)
    result = _parse(split)
    return (_restore_lines(result, line_maps) if line_maps else result).locate(docs)


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
    meta, issues = meta_frame(lines)
    years = dict(meta.select("doc_id", "year").iter_rows())
    formats = detect_formats(lines, years)
    texts = dict(docs.select("doc_id", pl.col("text").fill_null("")).iter_rows())
    table3, variants, t3_issues = _table3(lines, tokens, texts)
    table4, t4_issues = read_table4(tokens, texts)
    fmt_only = {d: f for d, (f, _) in formats.items()}
    table2, t2_present, t2_issues = read_table2(lines, tokens, fmt_only)
    glued2, glued_present, glued_issues = read_table2_glued(lines, fmt_only, t2_present)
    t2_issues += glued_issues
    table2 = pl.concat([table2, glued2])
    t2_present |= glued_present
    narrative = read_narrative(lines)
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
                    make_issue(
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
                    make_issue(
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
                make_issue(
                    doc_id,
                    "year_format_mismatch",
                    "warning",
                    f"the labels are of format {fmt} but year {year} uses {expected}",
                    "S-1",
                )
            )
        if fmt_source == "labels_mixed":
            issues.append(
                make_issue(
                    doc_id,
                    "format_mixed",
                    "info",
                    f"labels of both formats; format {fmt} taken from the year",
                )
            )
        variant = variant_of.get(doc_id) if doc_id in t3_present else None
        if fmt == "2021" and variant == "single_other":
            issues.append(
                make_issue(
                    doc_id,
                    "hybrid_other_row",
                    "info",
                    "format 2021 report whose table 3 keeps the single （六）其他处理 "
                    "row; kept as row other",
                )
            )
        if fmt == "2019" and variant == "three_other":
            issues.append(
                make_issue(
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
                    make_issue(
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
        make_frame("reports", report_rows)
        .drop("n_lines")
        .join(
            lines.group_by("doc_id").agg(n_lines=pl.len().cast(pl.Int32)), on="doc_id", how="left"
        )
        .select(list(SCHEMAS["reports"]))
    )

    issues += _identity_issues(table3, table4, table2, reports)
    issues += narrative_issues(narrative, table3, table4)
    return ParseResult(
        reports=reports,
        table3=table3,
        table4=table4,
        table2=table2,
        narrative=narrative,
        issues=make_frame("issues", issues),
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
        make_issue(
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
                    make_issue(
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
                    make_issue(
                        doc_id,
                        "identity_broken",
                        "warning",
                        f"T2-1 broken for {item}: prev_items {prev} + change {value} < 0",
                        "T2-1",
                        line,
                    )
                )
    return issues
