"""Render parse results as the JSON objects of the parse contract (DESIGN.md §6)."""

from __future__ import annotations

from decimal import Decimal

import polars as pl

from dagster_project.parsing.frames import ParseResult
from dagster_project.parsing.labels import ITEM_BY_KEY, TABLE3_VARIANTS, TABLE4_CELLS


def _number(value: Decimal | int | None) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _by_doc(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    return {key[0]: group for key, group in frame.group_by("doc_id", maintain_order=True)}


_WHERE = ("line", "page", "location")


def _provenance(
    t3: pl.DataFrame | None, t4: pl.DataFrame | None, facts: pl.DataFrame | None, obj: dict
) -> dict:
    """Where each table-3/4 cell and narrative fact of one report was read: its line, and its
    page and place in the original document where known; the shape of the values' keys."""
    out: dict = {"table3": None, "table4": None, "narrative": {}}
    if obj["table3"] is not None and t3 is not None:
        where = {(r["row_key"], r["col_key"]): {k: r[k] for k in _WHERE} for r in t3.to_dicts()}
        cols = t3.sort("col_order")["col_key"].unique(maintain_order=True).to_list()
        out["table3"] = {k: [where.get((k, c)) for c in cols] for k in obj["table3"]}
    if obj["table4"] is not None and t4 is not None:
        where = {(r["channel"], r["outcome"]): {k: r[k] for k in _WHERE} for r in t4.to_dicts()}
        out["table4"] = [where.get(k) for k in TABLE4_CELLS]
    if facts is not None:
        out["narrative"] = {r["fact"]: {k: r[k] for k in _WHERE} for r in facts.to_dicts()}
    return out


def to_contract(result: ParseResult, files: dict[str, dict]) -> list[dict]:
    """One contract object per report, in the order of `result.reports`.

    `files` maps doc_id to the keys that lead each object (file, sha256).
    """
    t3, t4, t2 = _by_doc(result.table3), _by_doc(result.table4), _by_doc(result.table2)
    narrative, issues = _by_doc(result.narrative), _by_doc(result.issues)
    out = []
    for report in result.reports.iter_rows(named=True):
        doc_id = report["doc_id"]
        obj: dict = dict(files.get(doc_id, {}))
        obj.update(
            {
                "agency": report["agency"],
                "year": report["year"],
                "format": report["format"],
                "tables_present": {
                    t: report[f"{t}_present"] for t in ("table2", "table3", "table4")
                },
                "table3": None,
                "table4": None,
                "table2": None,
            }
        )
        if report["table3_present"] and doc_id in t3:
            cells = {
                (r, c): v
                for r, c, v in t3[doc_id].select("row_key", "col_key", "value").iter_rows()
            }
            keys = TABLE3_VARIANTS[report["table3_variant"]]
            cols = t3[doc_id].sort("col_order")["col_key"].unique(maintain_order=True).to_list()
            obj["table3"] = {k: [cells.get((k, c)) for c in cols] for k in keys}
        if report["table4_present"] and doc_id in t4:
            cells4 = {
                (ch, oc): v
                for ch, oc, v in t4[doc_id].select("channel", "outcome", "value").iter_rows()
            }
            obj["table4"] = [cells4.get(k) for k in TABLE4_CELLS]
        if report["table2_present"] and doc_id in t2:
            table2: dict[str, dict] = {}
            for item, measure, value in t2[doc_id].select("item", "measure", "value").iter_rows():
                table2.setdefault(item, {})[measure] = _number(value)
            obj["table2"] = {k: table2[k] for k in ITEM_BY_KEY if k in table2}
        facts = narrative.get(doc_id)
        obj["narrative"] = (
            {}
            if facts is None
            else {
                f: _number(v)
                for f, u, v in facts.select("fact", "unit", "value").iter_rows()
                if u == "count"
            }
        )
        obj["narrative_shares"] = (
            {}
            if facts is None
            else {
                f: float(v)
                for f, u, v in facts.select("fact", "unit", "value").iter_rows()
                if u == "percent"
            }
        )
        obj["provenance"] = _provenance(t3.get(doc_id), t4.get(doc_id), narrative.get(doc_id), obj)
        found = issues.get(doc_id)
        obj["issues"] = [] if found is None else found.drop("doc_id").to_dicts()
        out.append(obj)
    return out
