"""Split runs of digits that crawled text glued together (`230 000023` for 23,0,0,0,0,0,23).

A run is cut into cells only where the report's own identities leave exactly one reading: each
cell a number without a leading zero, the parts of each group adding up to the group's total.
The search walks from the right so that every group's total is known before its parts, and
prunes as soon as the parts exceed it.
"""

from __future__ import annotations

import re

# How many readings of one row are worth carrying into the cross-row search.
MAX_READINGS = 64
DIGITS_OR_DASH = re.compile(r"\d+|[—–\-/]")


def runs_of(text: str) -> list[str]:
    """The digit runs and dash cells of a text, in order; everything else separates them."""
    return DIGITS_OR_DASH.findall(text)


def split_runs(
    runs: list[str], groups: list[tuple[int, int]], limit: int = MAX_READINGS
) -> list[tuple[int, ...]] | None:
    """Every reading of `runs` as consecutive groups of (n_parts parts + 1 total), parts adding
    up to the total; `groups` lists (first cell index, n_parts). None if there are more than
    `limit` readings."""
    n_cells = groups[-1][0] + groups[-1][1] + 1
    # Cell index → (is a total, index of that group's total cell).
    total_of, first_of = {}, {}
    for start, n_parts in groups:
        for i in range(start, start + n_parts + 1):
            total_of[i] = start + n_parts
            first_of[i] = start
    found: list[tuple[int, ...]] = []
    cells: list[int] = [0] * n_cells

    def walk(run: int, end: int, cell: int, part_sum: int) -> bool:
        """Fill cells right to left; `end` is the exclusive end of the unread part of `run`."""
        while run >= 0 and end == 0:
            run -= 1
            end = len(runs[run]) if run >= 0 else 0
        if cell < 0:
            if run < 0:
                found.append(tuple(cells))
            return len(found) <= limit
        if run < 0:
            return True
        text = runs[run]
        is_total = total_of[cell] == cell
        starts = [0] if not text[0].isdigit() else range(end - 1, -1, -1)
        for start in starts:
            piece = text[start:end]
            if len(piece) > 1 and piece[0] == "0":
                continue
            value = int(piece) if piece[0].isdigit() else 0
            if is_total:
                total = value
                running = 0
            else:
                total = cells[total_of[cell]]
                running = part_sum + value
                if running > total:
                    if piece[0].isdigit():
                        break  # longer pieces only grow
                    continue
            group_start = first_of[cell]
            if cell == group_start and running != total:
                continue
            cells[cell] = value
            if not walk(run, start, cell - 1, 0 if cell == group_start else running):
                return False
        return True

    if not runs:
        return []
    ok = walk(len(runs) - 1, len(runs[-1]), n_cells - 1, 0)
    return found if ok else None
