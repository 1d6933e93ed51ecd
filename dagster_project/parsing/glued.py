"""Split runs of digits that crawled text glued together (`230 000023` for 23,0,0,0,0,0,23).

A run is cut into cells only where the report's own identities leave exactly one reading: each
cell a number without a leading zero, the parts of each group adding up to the group's total.
The search walks from the right so that every group's total is known before its parts. While
the first group is read, everything still unread is that group's parts, so a branch is cut as
soon as they cannot add up to what the total still lacks:
- a number is congruent to the sum of its digits modulo 9, whatever the split, so a total is
  tried only if it is congruent to the digit sum of its parts;
- a number is never less than the sum of its digits;
- the parts still unread add up to at least what they are split evenly (each no less than a
  one followed by zeros), so none is longer than the total, and at most to one part as long
  as it can be and the others 9;
- every cell takes at least one character, and a cell never spans two runs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import accumulate

# How many readings of one row are worth carrying into the cross-row search.
MAX_READINGS = 64
DIGITS_OR_DASH = re.compile(r"\d+|[—–\-/]")


def runs_of(text: str) -> list[str]:
    """The digit runs and dash cells of a text, in order; everything else separates them."""
    return DIGITS_OR_DASH.findall(text)


@lru_cache(maxsize=4096)
def _sums(width: int, parts: int) -> tuple[int, int]:
    """The least and the greatest sum of `parts` numbers written with `width` digits in all,
    none led by a zero (a one-digit part may be 0): split evenly, or one part as long as it can
    be and the others 9."""
    q, r = divmod(width, parts)
    least = r * (10**q if q else 0) + (parts - r) * (10 ** (q - 1) if q > 1 else 0)
    return least, 10 ** (width - parts + 1) - 1 + 9 * (parts - 1)


def split_runs(
    runs: list[str], groups: list[tuple[int, int]], limit: int = MAX_READINGS
) -> list[tuple[int, ...]] | None:
    """Every reading of `runs` as consecutive groups of (n_parts parts + 1 total), parts adding
    up to the total; `groups` lists (first cell index, n_parts). None if there are more than
    `limit` readings."""
    found = _split(tuple(runs), tuple(groups), limit)
    return None if found is None else list(found)


# Rows repeat across reports (a row of zeros, one request): each is searched once.
@lru_cache(maxsize=8192)
def _split(
    runs: tuple[str, ...], groups: tuple[tuple[int, int], ...], limit: int
) -> tuple[tuple[int, ...], ...] | None:
    if not runs:
        return ()
    n_cells = groups[-1][0] + groups[-1][1] + 1
    # Cell index → index of its group's total cell, and of its group's first cell.
    total_of, first_of = [0] * n_cells, [0] * n_cells
    for start, n_parts in groups:
        for i in range(start, start + n_parts + 1):
            total_of[i] = start + n_parts
            first_of[i] = start
    # Characters and digit sums of the runs before run i, and of each run's prefixes.
    width_before = list(accumulate((len(r) for r in runs), initial=0))
    digit_sums = [
        list(accumulate((int(ch) if ch.isdigit() else 0 for ch in r), initial=0)) for r in runs
    ]
    sum_before = list(accumulate((s[-1] for s in digit_sums), initial=0))
    numeric = [r[0].isdigit() for r in runs]  # a run is digits, or one dash
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
        if run < 0 or run > cell or width_before[run] + end <= cell:
            return True  # fewer cells left than runs or characters left
        text = runs[run]
        is_total = total_of[cell] == cell
        group_start = first_of[cell]
        # Only the first group's parts are all that is unread once its total is known.
        bounded = group_start == 0 and cell > 0
        total = 0 if is_total else cells[total_of[cell]]
        digits = numeric[run]
        if not digits:
            starts: range | tuple[int, ...] = (0,)
        elif cell == 0:
            starts = (0,) if run == 0 else ()  # the first cell takes all that is left
        else:
            starts = range(end - 1, max(0, cell - width_before[run]) - 1, -1)
        digit_sum, before_sum, before_width = digit_sums[run], sum_before[run], width_before[run]
        for start in starts:
            if digits:
                if end - start > 1 and text[start] == "0":
                    continue
                value = int(text[start:end])
            else:
                value = 0
            left_sum = before_sum + digit_sum[start]
            if is_total:
                running, lacking = 0, value
                if bounded and (left_sum - lacking) % 9:
                    continue
            else:
                running = part_sum + value
                if running > total:
                    if digits:
                        break  # longer pieces only grow
                    continue
                if cell == group_start and running != total:
                    continue
                lacking = total - running
            if bounded:
                # the parts still unread (`cell` of them in what is left) add up to at least
                # their digit sum and to what they add up to split evenly, at most one of
                # them as long as it can be and the others 9
                least, most = _sums(before_width + start, cell)
                if left_sum > lacking or not least <= lacking <= most:
                    continue
            cells[cell] = value
            if not walk(run, start, cell - 1, 0 if cell == group_start else running):
                return False
        return True

    ok = walk(len(runs) - 1, len(runs[-1]), n_cells - 1, 0)
    return tuple(found) if ok else None
