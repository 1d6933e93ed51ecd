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

# Every rule id the parser, the dbt models and the suites use, with its meaning in words, for
# the warehouse's rule glossary (ref_rules): where each is checked, in English and Chinese.
RULE_GLOSSARY: dict[str, tuple[str, str, str]] = {
    "S-1": (
        "parser, staging_structure",
        "Structure: all three tables present with all their cells; the form fits the year.",
        "结构：三张表齐全、单元格完整；表格式样与年度相符。",
    ),
    "S-2": (
        "parser, staging_structure",
        "Every count is a non-negative whole number.",
        "所有数量均为非负整数。",
    ),
    "T3-1": (
        "report_identities",
        "Table 3, in every column: new received + carried over = closed (总计) + carried forward.",
        "表三每一列：本年新收 + 上年结转 = 办理结果总计 + 结转下年度继续办理。",
    ),
    "T3-2": (
        "report_identities",
        "Table 3, in every column: the outcome rows (（一）…（六）) add up to （七）总计.",
        "表三每一列：（一）至（六）各项办理结果之和等于（七）总计。",
    ),
    "T3-3": (
        "report_identities",
        "Table 3, in every row: the six applicant columns add up to the total column.",
        "表三每一行：自然人与五类法人或其他组织之和等于总计列。",
    ),
    "T4-1": (
        "report_identities",
        "Table 4, for each channel: upheld + corrected + other + pending = total.",
        "表四每一类：结果维持 + 结果纠正 + 其他结果 + 尚未审结 = 总计。",
    ),
    "T2-1": (
        "report_identities",
        "Table 2 of the 2019 form: new published <= total published; previous items + change >= 0.",
        "2019年式样表二：本年新公开数量不超过对外公开总数量；上一年项目数量加本年增减不为负。",
    ),
    "N-1": (
        "narrative",
        "Counts and percentages stated in the text agree with the tables.",
        "正文所述数量和比例与表格数据一致。",
    ),
    "X-1": (
        "cross_year",
        "Applications carried over this year = carried forward in last year's report.",
        "本年上年结转数 = 上一年度报告的结转下年度继续办理数。",
    ),
    "X-2": (
        "cross_year (warning only)",
        "2021 form: documents in force = last year's in force + issued - repealed.",
        "2021年式样：现行有效件数 = 上年现行有效件数 + 本年制发件数 - 本年废止件数（仅提示）。",
    ),
    "X-3": (
        "cross_year",
        "2019 form: previous year's items = last year's previous items + last year's change.",
        "2019年式样：上一年项目数量 = 上年报告的上一年项目数量 + 上年本年增/减。",
    ),
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
