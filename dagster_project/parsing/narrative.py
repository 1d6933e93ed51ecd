"""Facts stated in section 一 (counts and shares) and their check against the tables (N-1)."""

from __future__ import annotations

import bisect
import itertools
import re
from decimal import Decimal

import polars as pl

from dagster_project.parsing.frames import make_frame, make_issue
from dagster_project.parsing.labels import (
    ROW_BY_KEY,
)

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


def read_narrative(lines: pl.DataFrame) -> pl.DataFrame:
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
    return make_frame("narrative", rows)


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


def narrative_issues(
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
                    make_issue(
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
                make_issue(
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
