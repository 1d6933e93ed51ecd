"""The frames a parse produces (DESIGN.md §6) and the values of table cells.

Every part of the parser writes its rows through `make_frame` and its findings through
`make_issue`, so the schemas below are the one definition of the staging tables' columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache

import polars as pl

from dagster_project.parsing.labels import APPLICANT_COLUMNS

HAN = "\u4e00-\u9fff"
# A table cell: a count, or a dash that the report uses for zero.
CELL_TOKEN = r"^(?:\d{1,3}(?:,\d{3})+|\d+|[—–\-/]{1,2})$"
# Tokens written for zero: dashes, a slash, or "" (an empty cell).
DASH = r"^(?:[—–\-/]{1,2})?$"
# A table-2 value: counts, signed changes (减1, +10, 增5) and amounts with their unit.
VALUE_TOKEN = r"^(?:[+\-增减]?\d+(?:\.\d+)?(?:万元|元|万)?|[—–\-/]{1,2})?$"
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


# Where each cell and fact stands in the original, added to the parse of a batch by `locate`:
# the page (of a PDF, or of text whose pages a form feed separates) and, for a document read
# by its structure, its place there ("page 3, table 2, row 5", "table 1, row 7").
PROVENANCE: dict[str, pl.DataType] = {"page": pl.Int32, "location": pl.String}
LOCATED = ("table3", "table4", "table2", "narrative")


def result_schema(name: str) -> dict[str, pl.DataType]:
    """The columns of one frame of a batch's parse: the parser's, then the provenance."""
    return {**SCHEMAS[name], **(PROVENANCE if name in LOCATED else {})}


def empty(name: str) -> pl.DataFrame:
    """An empty frame with the schema of one parse output."""
    return pl.DataFrame(schema=SCHEMAS[name])


def make_frame(name: str, rows: list[dict] | list[tuple]) -> pl.DataFrame:
    """A frame of one parse output from row dicts, or tuples in the schema's order (an empty
    one with its schema if none)."""
    if not rows:
        return empty(name)
    if isinstance(rows[0], dict):
        return pl.DataFrame(rows, schema=SCHEMAS[name], orient="row")
    # column by column: a third faster than row by row
    return from_columns(name, zip(*rows, strict=True))


def from_columns(name: str, columns: Iterable[Sequence]) -> pl.DataFrame:
    """A frame of one parse output from the values of each of its columns, in the schema's
    order."""
    return pl.DataFrame(
        [
            pl.Series(col, values, dtype)
            for (col, dtype), values in zip(SCHEMAS[name].items(), columns, strict=True)
        ]
    )


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
                f.name: pl.concat([getattr(p, f.name) for p in parts])
                if parts
                else pl.DataFrame(schema=result_schema(f.name))
                for f in fields(cls)
            }
        )

    def locate(self, docs: pl.DataFrame) -> ParseResult:
        """This parse with each located row's page and place in the original, from the
        documents' texts (form feeds start pages) and `locations` (one per line), if given."""
        # Pages only of the texts that have them: most texts have no form feed at all.
        paged = docs.filter(pl.col("text").str.contains("\f", literal=True)).select(
            "doc_id",
            page=pl.col("text")
            .str.split("\n")
            .list.eval(pl.element().str.contains("\f", literal=True).cum_sum().cast(pl.Int32) + 1),
        )
        pages = docs.select(
            "doc_id",
            locations=pl.col("locations")
            if "locations" in docs.columns
            else pl.lit(None, dtype=pl.List(pl.String)),
        ).join(paged, on="doc_id", how="left")
        found = {}
        for name in LOCATED:
            frame = getattr(self, name).drop(list(PROVENANCE), strict=False)
            index = (pl.col("line") - 1).cast(pl.Int64)
            found[name] = (
                frame.join(pages, on="doc_id", how="left")
                .with_columns(
                    page=pl.col("page").list.get(index, null_on_oob=True),
                    location=pl.col("locations").list.get(index, null_on_oob=True),
                )
                .select(list(result_schema(name)))
                .cast(result_schema(name))
            )
        return ParseResult(
            **{f.name: found.get(f.name, getattr(self, f.name)) for f in fields(self)}
        )


def make_issue(
    doc_id: str,
    code: str,
    severity: str,
    message: str,
    rule: str | None = None,
    line: int | None = None,
) -> dict:
    """One parse issue as a row of the issues frame."""
    return {
        "doc_id": doc_id,
        "code": code,
        "severity": severity,
        "rule": rule,
        "message": message,
        "line": line,
    }


# A cell of table 3 or 4: a count, a dash or an empty cell, outside markdown header rows.
IS_CELL = (pl.col("token").str.contains(CELL_TOKEN) | (pl.col("token") == "")) & ~pl.col("header")


def cell_value(token: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Value and state of a table-3/4 cell token."""
    is_dash = token.str.contains(DASH)
    value = (
        pl.when(is_dash)
        .then(pl.lit(0, dtype=pl.Int64))
        .otherwise(token.str.replace_all(",", "").cast(pl.Int64, strict=False))
    )
    state = pl.when(is_dash).then(pl.lit("dash_zero")).otherwise(pl.lit("number"))
    return value, state


DASH_RE = re.compile(DASH)


@lru_cache(maxsize=4096)
def scalar_cell(token: str | None) -> tuple[int | None, str]:
    """Value and state of one table-3/4 cell token read outside the batch path."""
    if token is None:
        return None, "missing"
    if DASH_RE.match(token):
        return 0, "dash_zero"
    return int(token.replace(",", "")), "number"
