"""Arbitrate between readings of table 3 with the report's own identities.

A reading proposes, for each row, the seven values it read (or none). A row is *certain* when
the layout put every one of its cells where a row's cells belong and no other reading disagrees;
its values are kept whatever the identities say, and an identity broken among certain rows only
is the source's own finding. Every other row is *in doubt*: its candidates are tried together,
and a value is kept only where every combination that satisfies the identities (T3-1, T3-2,
T3-3, each in every group whose cells are all known) agrees on it and every group the row takes
part in could be checked. Anything else stays null, with an issue naming the candidates.

Sources break identities themselves. Where no combination satisfies them all, and exactly one
identity group, or else exactly one cell of a row in doubt (a wrong count breaks its row's
identity and its column's), stands in the way, the rows in doubt are settled without it and
its cells stay null; where it is one cell of a row read without doubt, that cell stays as read
and the identities it breaks are the source's finding. A row whose cells add up in no reading
still lets its readings settle the rows beside it; it is kept only where its whole label
stands before its cells and nothing else up to the next row: no reading can have moved a cell
of it (a row whose label goes on below its numbers may have its total printed first).

A row of digits run together that split one way only is certain, unless two groups it takes
part in break under every reading: a wrong split moves two cells, and a source's wrong count
can leave a split that adds up and is not what was printed. Such rows are in doubt; where the
columns ask for one split of one row's digits in all but one column, that row is taken as
printed (its broken identities the source's) if the identities then settle the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, product

from dagster_project.parsing.identities import term_groups
from dagster_project.parsing.labels import APPLICANT_COLUMNS

Values = tuple[int, ...]
# Most combinations of rows in doubt kept; the search takes at most ten times as many steps.
MAX_COMBINATIONS = 20000
MAX_STEPS = MAX_COMBINATIONS * 10
RULES = ("T3-1", "T3-2", "T3-3")


@dataclass
class RowReadings:
    """What the readings of a table propose for one row."""

    key: str
    candidates: dict[Values, list[str]] = field(default_factory=dict)  # values → readings
    certain: bool = False
    # Certain only because its digits, run together, split one way that adds up (crawler text):
    # the runs of digits it was split from.
    split: tuple[str, ...] = ()
    # Its whole label stands before its cells, which are all that stands up to the next label:
    # no reading can move a cell within it, so cells that add up in no way are the source's.
    whole: bool = False
    # Per candidate: the printed token and the line of each cell.
    printed: dict[Values, tuple[list[str | None], list[int | None]]] = field(default_factory=dict)

    def add(
        self, values: Values, reading: str, tokens: list[str | None], lines: list[int | None]
    ) -> None:
        """Record one reading's values for this row."""
        self.candidates.setdefault(values, []).append(reading)
        self.printed.setdefault(values, (tokens, lines))


@dataclass
class Verdict:
    """The values kept for a row (None where a cell stays null) and why the rest are null."""

    values: tuple[int | None, ...]
    tokens: list[str | None]
    lines: list[int | None]
    reason: str | None = None
    code: str = "ambiguous_cells"  # or cell_missing: no reading found the row at all
    readings: tuple[str, ...] = ()  # the readings that proposed the values kept


def _describe(row: RowReadings, shown: int = 4) -> str:
    if not row.candidates:
        return "no reading found its seven cells"
    found = [
        f"{'+'.join(sorted(set(src)))}: {' '.join(map(str, vals))}"
        for vals, src in row.candidates.items()
    ]
    more = f"; {len(found) - shown} more" if len(found) > shown else ""
    return "; ".join(found[:shown]) + more


Cells = tuple[tuple[str, int, int], ...]  # (row, column index, coef) of one identity group
Group = tuple[str, Cells, frozenset[str]]  # rule, cells, the rows they are in


@lru_cache(maxsize=8)
def _groups(keys: tuple[str, ...]) -> tuple[Group, ...]:
    """The identity groups of table 3 over these rows."""
    present = set(keys)
    out = []
    for (rule, _), terms in term_groups().items():
        if rule not in RULES:
            continue
        cells = tuple(
            (row, APPLICANT_COLUMNS.index(col), coef)
            for table, row, col, coef in terms
            if table == "table3" and row in present
        )
        if any(c < 0 for *_, c in cells) and any(c > 0 for *_, c in cells):
            out.append((rule, cells, frozenset(r for r, *_ in cells)))
    return tuple(out)


def _holds(cells: Cells, table: dict[str, Values | None]) -> bool | None:
    """Whether a group holds; None if one of its rows is unknown."""
    total = 0
    for row, col, coef in cells:
        values = table.get(row)
        if values is None:
            return None
        total += values[col] * coef
    return total == 0


def _feasible(cells: Cells, table: dict[str, Values | None]) -> bool:
    """Whether a group can still hold: counts are never negative, so the side whose terms are
    all known cannot fall short of what the other side has so far."""
    parts = reported = 0
    parts_known = reported_known = True
    for row, col, coef in cells:
        values = table.get(row)
        if values is None:
            if coef > 0:
                parts_known = False
            else:
                reported_known = False
        elif coef > 0:
            parts += values[col]
        else:
            reported += values[col]
    if parts_known and reported_known:
        return parts == reported
    if parts_known:
        return reported <= parts
    if reported_known:
        return parts <= reported
    return True


def _search(
    order: list[str],
    doubt: dict[str, list[Values]],
    fixed: dict[str, Values | None],
    live: list[Group],
    max_steps: int = MAX_STEPS,
) -> tuple[list[tuple[Values, ...]], bool, set[Cells]]:
    """Every combination of the rows' candidates under which each group holds, found depth
    first: a group is checked as soon as its last row is given. Returns the combinations,
    whether the search ran to its end (it stops after `max_steps` steps or past
    MAX_COMBINATIONS combinations), and the groups that were the first to fail a check (a
    search without any other group runs the same). Rows with one candidate are given first:
    the groups they close are checked once, and the search runs over the other rows."""
    table: dict[str, Values | None] = dict(fixed)
    table.update((key, doubt[key][0]) for key in order if len(doubt[key]) == 1)
    searched = [key for key in order if len(doubt[key]) > 1]
    found: list[tuple[Values, ...]] = []
    failed: set[Cells] = set()
    for _, cells, rows in live:
        if rows.isdisjoint(searched) and not rows.isdisjoint(order) and not _feasible(cells, table):
            failed.add(cells)
            return found, True, failed
    # The groups to check once the row at each depth is given: those it takes part in.
    due = [[cells for _, cells, rows in live if key in rows] for key in searched]
    steps = 0

    def holds(checks: list[Cells]) -> bool:
        for cells in checks:
            if not _feasible(cells, table):
                failed.add(cells)
                return False
        return True

    def walk(depth: int) -> bool:
        nonlocal steps
        if depth == len(searched):
            found.append(tuple(table[k] for k in order))  # type: ignore[misc]
            return len(found) <= MAX_COMBINATIONS
        key = searched[depth]
        for values in doubt[key]:
            steps += 1
            if steps > max_steps:
                return False
            table[key] = values
            if holds(due[depth]) and not walk(depth + 1):
                return False
        table.pop(key, None)
        return True

    complete = walk(0)
    return (found, True, failed) if complete else ([], False, failed)


Relaxed = tuple[set[tuple[str, int]], str, list[tuple[Values, ...]]]  # nulled, why, combinations


def _without_one(
    order: list[str],
    doubt: dict[str, list[Values]],
    fixed: dict[str, Values | None],
    live: list[Group],
    failed: set[Cells],
) -> Relaxed | None:
    """Where no combination satisfies every identity, a source may break one itself: the one
    group (taking in a row in doubt) without which some combinations do, or else the one cell
    of a row in doubt without every group it takes part in (a wrong count breaks its row's
    identity and its column's), or else the one cell of a row read without doubt. Returns the
    cells of rows in doubt left unchecked (to stay null), why, and the combinations; None if
    there is no such group or cell, or several."""
    # Only a group that failed a check can stand in the way.
    groups = [g for g in live if g[2] & doubt.keys() and g[1] in failed]
    cells = sorted({(row, col) for _, terms, _ in groups for row, col, _ in terms})
    one_group = [
        (
            [g],
            {(row, col) for row, col, _ in g[1] if row in doubt},
            f"one {g[0]} group; its cells ({{}}) stay null: the source or the reading breaks it",
        )
        for g in groups
    ]
    one_cell = [
        (
            [g for g in live if any(t[:2] == cell for t in g[1])],
            {cell},
            "this cell ({}), which stays null: the source or the reading got it wrong",
        )
        for cell in cells
        if cell[0] in doubt
    ]
    # A cell of a row read without doubt stays as read: the identities it breaks are the
    # source's (reported as such), and the rows in doubt are settled by the others.
    one_certain_cell = [
        ([g for g in live if any(t[:2] == cell for t in g[1])], set(), "")
        for cell in cells
        if fixed.get(cell[0]) is not None
    ]
    for ways in (one_group, one_cell, one_certain_cell):
        found: list[Relaxed] = []
        for dropped, nulled, what in ways:
            rest = [g for g in live if g not in dropped]
            # all the searches of one way together take no more steps than one search
            satisfying, complete, _ = _search(order, doubt, fixed, rest, MAX_STEPS // len(ways))
            if not complete:
                return None
            if satisfying:
                found.append((nulled, what, satisfying))
        if found:
            return found[0] if len(found) == 1 else None
    return None


def cells_agreed(readings: list[Values]) -> tuple[int | None, ...]:
    """Each cell's value where every reading agrees on it, None where they differ."""
    return tuple(col[0] if len(set(col)) == 1 else None for col in zip(*readings, strict=True))


def _known(kept: dict[str, tuple[int | None, ...]]) -> int:
    return sum(v is not None for values in kept.values() for v in values)


def _settle(
    doubt: dict[str, list[Values]], fixed: dict[str, Values | None], live: list[Group]
) -> tuple[dict[str, tuple[int | None, ...]], dict[str, str]]:
    """The values kept for the rows in doubt (None where a cell stays null), and why the
    others, or some of their cells, stay null."""
    kept: dict[str, tuple[int | None, ...]] = {}
    why: dict[str, str] = {}
    # The total first: once it is known, every group it closes bounds the rows after it.
    order = sorted(doubt, key=lambda k: (k != "total", len(doubt[k])))
    satisfying, complete, failed = _search(order, doubt, fixed, live)
    relaxed = None
    if complete and not satisfying:
        relaxed = _without_one(order, doubt, fixed, live, failed)
        satisfying = relaxed[2] if relaxed else []
    unknown = {k for k, v in fixed.items() if v is None}
    for i, key in enumerate(order):
        # Every group the row takes part in must have been checked on known rows.
        unchecked = sorted(
            {r for _, _, rows in live if key in rows for r in rows & unknown} if unknown else ()
        )
        if not complete:
            why[key] = "too many combinations of readings to check"
        elif not satisfying:
            why[key] = _NONE_HOLD
        elif unchecked:
            why[key] = f"cannot be checked: {', '.join(unchecked)} could not be read"
        else:
            agreed = cells_agreed([combo[i] for combo in satisfying])
            if None in agreed:
                why[key] = "readings that satisfy the identities disagree"
            columns = {col for row, col in relaxed[0] if row == key} if relaxed else set()
            if columns:
                agreed = tuple(None if j in columns else v for j, v in enumerate(agreed))
                names = ", ".join(APPLICANT_COLUMNS[j] for j in sorted(columns))
                why[key] = f"the identities hold only without {relaxed[1].format(names)}"
            kept[key] = agreed
    return kept, why


def _live(groups: tuple[Group, ...], fixed: dict[str, Values | None]) -> list[Group]:
    """The groups held against the rows in doubt: a group broken among certain rows alone is
    the source's finding."""
    return [g for g in groups if not g[2] <= fixed.keys() or _holds(g[1], fixed) is not False]


def _misread_splits(groups: tuple[Group, ...], rows: dict[str, RowReadings]) -> set[str]:
    """Rows whose digits split one way only, but may have split wrong: two or more groups they
    take part in break under every reading of the rows. A split other than the printed cells
    moves at least two cells (a cut between two cells changes both), so where the source's
    row adds up, a misread breaks two columns; where it does not, the one split that adds up
    is not what was printed. One broken group is the source's."""
    split = {
        key for key, row in rows.items() if row.split and row.certain and len(row.candidates) == 1
    }
    if not split:
        return set()
    first = {key: next(iter(row.candidates)) for key, row in rows.items() if row.candidates}
    broken = []
    for _, cells, members in groups:
        if members.isdisjoint(split) or _holds(cells, first) is not False:
            continue  # holds under the first readings, or a row was not read
        order = sorted(members)
        options = [list(rows[k].candidates) if k in rows else [] for k in order]
        if not all(options) or math.prod(map(len, options)) > MAX_GROUP_READINGS:
            continue  # a row not read, or too many readings to try: not known to break
        if not any(_holds(cells, dict(zip(order, c, strict=True))) for c in product(*options)):
            broken.append(members)
    return {key for key in split if sum(key in members for members in broken) >= 2}


_NONE_HOLD = "the identities hold for none of the readings"
# Most combinations of one group's readings tried to see whether it can hold at all.
MAX_GROUP_READINGS = 256


def _as_printed(key: str, groups: tuple[Group, ...], rows: dict[str, RowReadings]) -> Values | None:
    """The split of a row's digits that does not add up, but that the other rows' readings
    ask for through the columns' identities in every column but one: the row as the source
    printed it, with one wrong count (which breaks its row's identity and its column's). None
    unless exactly one such split is found over every reading of the other rows."""
    runs = rows[key].split
    if not runs or not all(r.isdigit() for r in runs):
        return None
    columns: dict[int, Cells] = {}
    for rule, cells, _ in groups:
        for row, col, _ in cells:
            if row == key and rule != "T3-3":
                columns.setdefault(col, cells)
    if len(columns) != len(APPLICANT_COLUMNS):
        return None
    others = sorted({r for cells in columns.values() for r, _, _ in cells} - {key})
    options = [list(rows[r].candidates) if r in rows else [] for r in others]
    if not all(options) or math.prod(map(len, options)) > MAX_GROUP_READINGS:
        return None
    digits = "".join(runs)
    found = set()
    for combo in product(*options):
        table = dict(zip(others, combo, strict=True))
        asked = []
        for col in range(len(APPLICANT_COLUMNS)):
            coef = next(c for r, j, c in columns[col] if r == key)
            asked.append(-sum(table[r][j] * c for r, j, c in columns[col] if r != key) // coef)
        texts = [str(v) for v in asked]
        for j in range(len(texts)):
            # every count as the columns ask but one, which is what the digits leave for it
            before, after = "".join(texts[:j]), "".join(texts[j + 1 :])
            middle = digits[len(before) : len(digits) - len(after)]
            if not middle.isdigit() or (len(middle) > 1 and middle[0] == "0"):
                continue
            values = (*asked[:j], int(middle), *asked[j + 1 :])
            if min(values) >= 0 and _splits_as(values, runs) and values not in rows[key].candidates:
                found.add(values)
    return found.pop() if len(found) == 1 else None


def _splits_as(values: Values, runs: tuple[str, ...]) -> bool:
    """Whether these counts, printed, are the runs of digits cut into cells."""
    texts = [str(v) for v in values]
    cuts = set(accumulate(map(len, texts)))
    return "".join(texts) == "".join(runs) and cuts >= set(accumulate(map(len, runs)))


def arbitrate(keys: tuple[str, ...], rows: dict[str, RowReadings]) -> dict[str, Verdict]:
    """The verdict on every row of a table 3 with these row keys."""
    groups = _groups(keys)
    misread = _misread_splits(groups, rows)
    printed = {key: x for key in misread if (x := _as_printed(key, groups, rows))}
    if len(printed) == 1:
        # The one row whose digits split as the columns ask: the source's row as printed, kept
        # if the identities then settle the other rows.
        ((key, values),) = printed.items()
        lines = next(iter(rows[key].printed.values()))[1]
        as_printed = {**rows, key: RowReadings(key, {values: ["split"]}, certain=True)}
        as_printed[key].printed[values] = ([str(v) for v in values], lines)
        verdicts = _arbitrate(keys, as_printed, _misread_splits(groups, as_printed))
        if not any(v.reason and _NONE_HOLD in v.reason for v in verdicts.values()):
            return verdicts
    return _arbitrate(keys, rows, misread)


def _arbitrate(
    keys: tuple[str, ...], rows: dict[str, RowReadings], misread: set[str]
) -> dict[str, Verdict]:
    groups = _groups(keys)
    fixed: dict[str, Values | None] = {}
    doubt: dict[str, list[Values]] = {}
    unsummed: dict[str, list[Values]] = {}  # rows whose cells add up in no reading
    why: dict[str, str] = {}
    own = {cells[0][0]: cells for rule, cells, _ in groups if rule == "T3-3"}
    for key in keys:
        row = rows.get(key) or RowReadings(key)
        if row.certain and len(row.candidates) == 1 and key not in misread:
            fixed[key] = next(iter(row.candidates))
            continue
        # A row in doubt keeps the readings whose own cells add up to its total.
        options = [v for v in row.candidates if _holds(own[key], {key: v}) is not False]
        if options:
            doubt[key] = options
        else:
            fixed[key] = None
            if row.candidates:
                unsummed[key] = list(row.candidates)
                why[key] = "its cells do not add up to its total in any reading"
    kept, reasons = _settle(doubt, fixed, _live(groups, fixed)) if doubt else ({}, {})
    if unsummed:
        # The source may break a row's own identity: with that row's readings, the other rows
        # may be checked, and all but a cell or a group's cells kept (_without_one). A row
        # whose cells a reading may have moved (not whole) stays null: its readings only help
        # settle the others.
        fixed_too = {k: v for k, v in fixed.items() if k not in unsummed}
        kept_too, reasons_too = _settle({**doubt, **unsummed}, fixed_too, _live(groups, fixed_too))
        for key in unsummed:
            if not rows[key].whole and key in kept_too:
                kept_too[key] = (None,) * len(APPLICANT_COLUMNS)
                reasons_too[key] = why[key]
        if _known(kept_too) > _known(kept):
            fixed, kept, reasons = fixed_too, kept_too, reasons_too
    why.update(reasons)
    verdicts: dict[str, Verdict] = {}
    for key in keys:
        row = rows.get(key) or RowReadings(key)
        values = fixed.get(key) if key in fixed else kept.get(key)
        if values is None:
            reason = why.get(key)
            verdicts[key] = Verdict(
                (None,) * len(APPLICANT_COLUMNS),
                [None] * len(APPLICANT_COLUMNS),
                [None] * len(APPLICANT_COLUMNS),
                f"{reason} ({_describe(row)})" if reason else _describe(row),
                "ambiguous_cells" if row.candidates else "cell_missing",
            )
            continue
        source = values if values in row.printed else None
        if source is None:
            # A partly agreed row: keep the printed tokens of the agreed cells only.
            tokens = [None if v is None else str(v) for v in values]
            lines = [None] * len(values)
            for vals, (toks, lns) in row.printed.items():
                lines = [ln if v is not None else None for v, ln in zip(values, lns, strict=True)]
                tokens = [
                    t if v is not None and w == v else (None if v is None else str(v))
                    for v, w, t in zip(values, vals, toks, strict=True)
                ]
                break
        else:
            tokens, lines = row.printed[source]
        reason = None
        if None in values:
            reason = f"{why.get(key, 'readings disagree')} ({_describe(row)})"
        readings = tuple(sorted(set(row.candidates.get(values, []))))
        verdicts[key] = Verdict(values, list(tokens), list(lines), reason, readings=readings)
    return verdicts
