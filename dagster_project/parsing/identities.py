"""The one place that knows the accounting identities of DESIGN.md §2.

Each equality identity is a set of signed terms: for one report and one group (a column, a row
or a channel), the positive terms must add up to the negative ones. The terms are plain data, so
the parser, the SQL ledgers and the checks all read the same definition.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from dagster_project.parsing.labels import (
    APPLICANT_COLUMNS,
    LEAF_CATEGORIES,
    REVIEW_CHANNELS,
    REVIEW_OUTCOMES,
    TABLE3_ROWS,
)

IDENTITY_RULES: dict[str, str] = {
    "T3-1": "new_received + carried_over = total + carried_forward, in every column",
    "T3-2": "the leaf disposition rows sum to total, in every column",
    "T3-3": "the six applicant columns sum to the total column, in every row",
    "T4-1": "upheld + corrected + other + pending = total, for each channel",
    "T2-1": "2019: new_published <= total_published; prev_items + change >= 0",
    "N-1": "counts and percentages stated in the text agree with the tables",
    "S-1": "all three tables present with all their cells; format fits the year",
    "S-2": "every count is a non-negative integer",
}

# The report-level rules a certified report must pass.
CERTIFYING_RULES = ("T3-1", "T3-2", "T3-3", "T4-1", "S-1")

_LEAF_ROWS = tuple(r.key for r in TABLE3_ROWS if r.category in LEAF_CATEGORIES)
_APPLICANTS = APPLICANT_COLUMNS[:-1]


def identity_terms() -> pl.DataFrame:
    """Signed terms of every equality identity: rule, table, row_key, col_key, group_key, coef.

    coef +1 is a part (the expected side is their sum), coef -1 is the reported total.
    """
    rows: list[tuple[str, str, str, str, str, int]] = []
    for col in APPLICANT_COLUMNS:
        for key, coef in (
            ("new_received", 1),
            ("carried_over", 1),
            ("total", -1),
            ("carried_forward", -1),
        ):
            rows.append(("T3-1", "table3", key, col, col, coef))
        for key in _LEAF_ROWS:
            rows.append(("T3-2", "table3", key, col, col, 1))
        rows.append(("T3-2", "table3", "total", col, col, -1))
    for row in TABLE3_ROWS:
        for col in _APPLICANTS:
            rows.append(("T3-3", "table3", row.key, col, row.key, 1))
        rows.append(("T3-3", "table3", row.key, "total", row.key, -1))
    for channel in REVIEW_CHANNELS:
        for outcome in REVIEW_OUTCOMES:
            coef = -1 if outcome == "total" else 1
            rows.append(("T4-1", "table4", channel, outcome, channel, coef))
    return pl.DataFrame(
        rows,
        schema={
            "rule": pl.String,
            "table": pl.String,
            "row_key": pl.String,
            "col_key": pl.String,
            "group_key": pl.String,
            "coef": pl.Int64,
        },
        orient="row",
    )


def identity_ledger(cells: pl.DataFrame) -> pl.DataFrame:
    """One row per report × rule × group: the sum of the positive side (`expected`), the sum of
    the negative side (`reported`: the total, or total + carried_forward for T3-1), and whether
    every cell was read. `cells` has doc_id, table, row_key, col_key, value, line."""
    terms = identity_terms()
    joined = cells.join(terms, on=["table", "row_key", "col_key"], how="inner")
    return (
        joined.group_by("doc_id", "rule", "group_key")
        .agg(
            expected=(pl.col("value") * pl.col("coef")).filter(pl.col("coef") > 0).sum(),
            reported=(-pl.col("value") * pl.col("coef")).filter(pl.col("coef") < 0).sum(),
            complete=pl.col("value").null_count() == 0,
            has_both=(pl.col("coef") > 0).any() & (pl.col("coef") < 0).any(),
            line=pl.col("line").filter(pl.col("coef") < 0).first(),
        )
        .filter(pl.col("has_both"))
        .drop("has_both")
        .sort("doc_id", "rule", "group_key")
    )


def broken_identities(cells: pl.DataFrame) -> pl.DataFrame:
    """The ledger rows whose identity is broken (only groups whose every cell was read)."""
    ledger = identity_ledger(cells)
    return ledger.filter(pl.col("complete") & (pl.col("expected") != pl.col("reported")))


@lru_cache(maxsize=1)
def term_groups() -> dict[tuple[str, str], list[tuple[str, str, str, int]]]:
    """The terms of every identity group: (rule, group) → [(table, row, column, coef)]."""
    groups: dict[tuple[str, str], list[tuple[str, str, str, int]]] = {}
    for rule, table, row, col, group, coef in identity_terms().iter_rows():
        groups.setdefault((rule, group), []).append((table, row, col, coef))
    return groups


def table_holds(
    table: str, cells: dict[tuple[str, str], int | None], rows: set[str], rules: tuple[str, ...]
) -> bool:
    """Whether one report's table satisfies the given rules in every group whose cells were all
    read. `cells` maps (row, column) to a value or None; `rows` are the rows the table has."""
    for (rule, _), terms in term_groups().items():
        if rule not in rules or terms[0][0] != table:
            continue
        values = [(cells.get((row, col)), coef) for _, row, col, coef in terms if row in rows]
        if not any(c < 0 for _, c in values) or any(v is None for v, _ in values):
            continue
        if sum(v * c for v, c in values) != 0:
            return False
    return True
