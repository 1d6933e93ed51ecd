"""Table 4 (review and litigation): fifteen cells in reading order, the one window of
them the identities allow, the columns of space-aligned text, or digits run together.
"""

from __future__ import annotations

import polars as pl

from dagster_project.parsing import glued, stream
from dagster_project.parsing.arbiter import cells_agreed
from dagster_project.parsing.frames import (
    IS_CELL,
    SCHEMAS,
    cell_value,
    make_frame,
    make_issue,
    scalar_cell,
)
from dagster_project.parsing.labels import (
    TABLE4_CELLS,
)


def read_table4(tokens: pl.DataFrame, texts: dict[str, str]) -> tuple[pl.DataFrame, list[dict]]:
    """Table-4 cells: fifteen in reading order, or the one reading the identities allow."""
    cells = tokens.filter((pl.col("section") == "t4") & IS_CELL)
    # Crawler text on one line has no table-4 section: its cells are found in the stream.
    seen = set(cells["doc_id"].unique().to_list())
    streamed = [
        {"doc_id": d, "section": "t4", "line_no": found[1], "header": False, "token": t}
        for d in sorted(set(texts) - seen)
        if (found := stream.table4_cells(texts[d])) is not None and found[2]
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
    value, state = cell_value(pl.col("token"))
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
        values: list[str | None] | None = None
        cell_lines: list[int | None] = [line_nos[0]] * len(TABLE4_CELLS)
        note = "the identities do not leave one reading; cells left missing"
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
            # Every reading that satisfies the identities is known: a cell on which they all
            # agree is read, the others stay null.
            agreed = [None if v is None else str(v) for v in cells_agreed(readings)]
            if any(v is not None for v in agreed):
                values = agreed
                note = "cells run together were split where the identities leave one reading"
            if None in agreed:
                note = (
                    f"cells run together were split; {agreed.count(None)} cells where the "
                    "readings that satisfy the identities disagree left missing ("
                    + "; ".join(" ".join(map(str, r)) for r in readings[:4])
                    + ")"
                )
        unread = values is None or None in values
        code = "ambiguous_cells" if unread and n < len(TABLE4_CELLS) else "cell_count"
        issues.append(
            make_issue(
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
            value, state = scalar_cell(raw)
            rows.append(
                {
                    "doc_id": doc_id,
                    "channel": channel,
                    "outcome": outcome,
                    "cell_order": i,
                    "raw": raw,
                    "line": cell_lines[i],
                    "value": value,
                    "state": state,
                }
            )
    # Space-aligned text of a form whose zeros were left blank: the whole header, then nothing.
    for doc_id in sorted(set(texts) - seen - {r["doc_id"] for r in streamed}):
        found = stream.table4_columns(texts[doc_id])
        if found is None or any(found[0]):
            continue
        issues.append(
            make_issue(
                doc_id,
                "cell_count",
                "warning",
                "table 4 has 0 cells where 15 were expected; its header stands with no number "
                "under it, so every cell is blank",
                "S-1",
                found[1][0],
            )
        )
        blank = scalar_cell("")
        rows += [
            {
                "doc_id": doc_id,
                "channel": channel,
                "outcome": outcome,
                "cell_order": i,
                "raw": "",
                "line": found[1][0],
                "value": blank[0],
                "state": blank[1],
            }
            for i, (channel, outcome) in enumerate(TABLE4_CELLS)
        ]
    table4 = pl.concat([good.cast(SCHEMAS["table4"]), make_frame("table4", rows)])
    return table4, issues


# Table 4 as three groups of four outcomes and their total.
T4_GROUPS = [(0, 4), (5, 4), (10, 4)]


def _table4_window(tokens: list[str]) -> int | None:
    """Start of a run of fifteen cells that satisfies T4-1, if every such run reads the same."""
    if len(tokens) < len(TABLE4_CELLS):
        return None
    readings: dict[tuple[int, ...], int] = {}
    for start in range(len(tokens) - len(TABLE4_CELLS) + 1):
        values = tuple(scalar_cell(t)[0] for t in tokens[start : start + 15])
        if all(sum(values[i : i + 4]) == values[i + 4] for i in (0, 5, 10)):
            readings.setdefault(values, start)
    return next(iter(readings.values())) if len(readings) == 1 else None
