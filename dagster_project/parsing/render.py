"""Readable renderings of one parsed report: markdown tables for the CLI and the Dagster UI."""

from __future__ import annotations

import re

from dagster_project.parsing.labels import (
    APPLICANT_COLUMNS,
    REVIEW_CHANNELS,
    REVIEW_OUTCOMES,
    ROW_BY_KEY,
)

MISSING = "∅"


def _cell(value: object) -> str:
    return MISSING if value is None else str(value)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def table3_markdown(table3: dict[str, list] | None, why: dict[str, str] | None = None) -> str:
    """Table 3 of one report (row key → seven values, in printed order) as a markdown table;
    ∅ marks a cell that could not be read, and `why` (row key → reason) says why."""
    if table3 is None:
        return "_table 3 absent_"
    why = why or {}
    nulls = any(None in values for values in table3.values())
    rows = [
        [
            f"{k} {ROW_BY_KEY[k].label}",
            *(_cell(v) for v in values),
            *([why.get(k, "") if None in values else ""] if nulls else []),
        ]
        for k, values in table3.items()
    ]
    return _table(["row", *APPLICANT_COLUMNS, *(["why ∅"] if nulls else [])], rows)


_NULL_ROW = re.compile(r"table 3 row (\w+) (?:left null|could not be read)[:;]? ?(.*)")


def null_reasons(issues: list[dict]) -> dict[str, str]:
    """Row key → why its table-3 cells are null, from the parse issues."""
    out = {}
    for issue in issues:
        m = re.match(
            r"table 3 row (\w+) (?:left null|could not be read)[:;]? ?(.*)", issue["message"]
        )
        if m:
            out[m.group(1)] = m.group(2) or issue["message"]
    return out


def table4_markdown(table4: list | None) -> str:
    """Table 4 (fifteen values) as channels × outcomes."""
    if table4 is None:
        return "_table 4 absent_"
    rows = [
        [ch, *(_cell(table4[i * 5 + j]) for j in range(5))] for i, ch in enumerate(REVIEW_CHANNELS)
    ]
    return _table(["channel", *REVIEW_OUTCOMES], rows)


def table2_markdown(table2: dict[str, dict] | None) -> str:
    """Table 2 as item × measure = value lines."""
    if table2 is None:
        return "_table 2 absent_"
    rows = [
        [item, measure, _cell(value)]
        for item, measures in table2.items()
        for measure, value in measures.items()
    ]
    return _table(["item", "measure", "value"], rows)


def report_text(obj: dict) -> str:
    """A whole contract object rendered for reading in a terminal."""
    out = [
        f"# {obj.get('file', '')}",
        f"agency: {obj['agency'] or MISSING}   year: {obj['year'] or MISSING}   "
        f"format: {obj['format'] or MISSING}",
        "",
        "## Table 2: proactive disclosure",
        table2_markdown(obj["table2"]),
        "",
        "## Table 3: applications",
        table3_markdown(obj["table3"], null_reasons(obj["issues"])),
        "",
        "## Table 4: review and litigation",
        table4_markdown(obj["table4"]),
        "",
        "## Narrative",
        ", ".join(f"{k} = {v}" for k, v in obj["narrative"].items()) or "—",
        "",
        f"## Issues ({len(obj['issues'])})",
    ]
    out += [
        f"- [{i['severity']}] {i['code']}"
        + (f" {i['rule']}" if i.get("rule") else "")
        + (f" (line {i['line']})" if i.get("line") else "")
        + f": {i['message']}"
        for i in obj["issues"]
    ] or ["- none"]
    return "\n".join(out)
