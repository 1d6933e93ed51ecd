"""Reference tables built from the one place that knows the forms (labels.py) and the
identities (identities.py), loaded into the warehouse so that SQL reads the same definitions."""

from __future__ import annotations

import polars as pl

from dagster_project.parsing.identities import RULE_GLOSSARY, identity_terms
from dagster_project.parsing.labels import (
    APPLICANT_COLUMNS,
    APPLICANT_LABELS,
    CHANNEL_LABELS,
    FORMATS,
    MONEY_MEASURES,
    OUTCOME_LABELS,
    REVIEW_CHANNELS,
    REVIEW_OUTCOMES,
    ROW_BY_KEY,
    SIGNED_MEASURES,
    TABLE2_ITEMS,
    TABLE3_GROUPS,
    TABLE3_ROWS,
    TABLE3_VARIANTS,
    TABLE4_CELLS,
)
from dagster_project.parsing.narrative import NARRATIVE_CHECKS, SHARE_TOLERANCE

# The article of the 2019 Regulations (《政府信息公开条例》) a disposition rests on, where the
# regulation names one.
LEGAL_BASIS: dict[str, str] = {
    "denied_state_secret": "第十四条",
    "denied_law": "第十四条",
    "denied_three_safety": "第十四条",
    "denied_third_party": "第十五条",
    "denied_internal": "第十六条第一款",
    "denied_process": "第十六条第二款",
    "denied_enforcement": "第十六条第二款",
    "unavailable_need_create": "第三十八条",
    "unavailable_unclear": "第三十条",
    "rejected_complaint": "第三十九条第一款",
    "rejected_mass": "第三十五条",
    "rejected_confirm": "第三十九条第二款",
}


def reference_tables() -> dict[str, pl.DataFrame]:
    """Every reference table by name: dispositions, applicant types, review cells, table-2
    measures and the identity terms."""
    # The sub-heading (（三）不予公开 …) each category's rows are printed under.
    headings = {ROW_BY_KEY[k].category: v for k, v in TABLE3_GROUPS.items() if k != "granted"}
    dispositions = []
    for order, row in enumerate(TABLE3_ROWS):
        dispositions.append(
            {
                "disposition_key": row.key,
                "category": row.category,
                "label_zh": row.label,
                "group_zh": headings.get(row.category) if row.key != "other" else None,
                "label_en": row.en,
                "in_format_2019": "2019" in row.formats,
                "in_format_2021": "2021" in row.formats,
                "legal_basis": LEGAL_BASIS.get(row.key),
                "is_leaf": row.category not in ("flow", "total"),
                "sort_order": order,
            }
        )
    applicants = [
        {
            "applicant_key": key,
            "label_zh": APPLICANT_LABELS[key][0],
            "label_en": APPLICANT_LABELS[key][1],
            "is_organisation": key not in ("natural_person", "total"),
            "is_total": key == "total",
            "sort_order": i,
        }
        for i, key in enumerate(APPLICANT_COLUMNS)
    ]
    review = [
        {
            "channel": ch,
            "outcome": oc,
            "channel_zh": CHANNEL_LABELS[ch][0],
            "channel_en": CHANNEL_LABELS[ch][1],
            "outcome_zh": OUTCOME_LABELS[oc][0],
            "outcome_en": OUTCOME_LABELS[oc][1],
            "sort_order": i * len(REVIEW_OUTCOMES) + j,
        }
        for i, ch in enumerate(REVIEW_CHANNELS)
        for j, oc in enumerate(REVIEW_OUTCOMES)
    ]
    measures = [
        {
            "item": item.key,
            "item_zh": item.label,
            "format": fmt,
            "measure": measure,
            "is_money": measure in MONEY_MEASURES,
            "is_signed": measure in SIGNED_MEASURES,
            "sort_order": i * 10 + j,
        }
        for i, item in enumerate(TABLE2_ITEMS)
        for fmt in FORMATS
        for j, measure in enumerate(item.measures.get(fmt, ()))
    ]
    return {
        "ref_dispositions": pl.DataFrame(dispositions),
        "ref_applicant_types": pl.DataFrame(applicants),
        "ref_review_cells": pl.DataFrame(review),
        "ref_table2_measures": pl.DataFrame(measures),
        "ref_identity_terms": identity_terms(),
        "ref_narrative_checks": narrative_checks(),
        "ref_rules": pl.DataFrame(
            [
                {"rule": rule, "checked_in": where, "meaning_en": en, "meaning_zh": zh}
                for rule, (where, en, zh) in RULE_GLOSSARY.items()
            ]
        ),
    }


def narrative_checks() -> pl.DataFrame:
    """N-1: one row per figure the text may state × table row (table 3, total column) or
    channel (table 4, total) whose sum it must equal; percentages are checked against the
    stated counts within `share_tolerance` points."""
    rows = [
        {
            "fact": fact,
            "table_name": table,
            "row_key": key,
            "share_tolerance": SHARE_TOLERANCE,
        }
        for fact, (table, keys) in NARRATIVE_CHECKS.items()
        for key in keys
    ]
    return pl.DataFrame(rows)


def form_cells() -> pl.DataFrame:
    """Every cell a form has, one row per table × form × row × column: table 3 by variant
    (single_other, three_other), table 4 once (form `any`), table 2 by format; whether its
    value may be negative (signed) or fractional (money)."""
    rows = [
        ("table3", variant, row_key, col_key, False, False)
        for variant, row_keys in TABLE3_VARIANTS.items()
        for row_key in row_keys
        for col_key in APPLICANT_COLUMNS
    ]
    rows += [("table4", "any", ch, oc, False, False) for ch, oc in TABLE4_CELLS]
    rows += [
        ("table2", fmt, item.key, measure, measure in SIGNED_MEASURES, measure in MONEY_MEASURES)
        for item in TABLE2_ITEMS
        for fmt in FORMATS
        for measure in item.measures.get(fmt, ())
    ]
    return pl.DataFrame(
        rows,
        schema=["table_name", "form", "row_key", "col_key", "is_signed", "is_money"],
        orient="row",
    )
