"""Table 3 read from a report's text as one stream, whatever its line breaks.

Where the line-by-line reader of `parse.py` cannot read a table 3 that satisfies its identities,
this reader takes the text between the table's heading and table 4 as a stream. It finds the row
labels in it (split by line breaks, spaces or span boundaries, run into their numbers, cut short
or damaged by OCR), then reads the table in several independent ways:

- segments: a row's cells are the numbers between its label and the next row's label; a row
  whose label goes on after some of its numbers (a wrapped label in PDF text) is read both as
  printed and with the number printed first taken as the total; digits run together (crawler
  text) are split where the row's own identity allows;
- sequence: every cell of the table in reading order, seven to a row, when the count fits;
- columns: in space-aligned text (`pdftotext -layout`), each number goes to the column whose
  position it sits under, and a column left empty is a blank cell (zero).

The arbiter (`arbiter.py`) keeps what the identities settle. Each layout family is one function
below; a new family is a new reading added to `read_table3`.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from statistics import median
from typing import NamedTuple

import numpy as np

from dagster_project.parsing import glued
from dagster_project.parsing.arbiter import RowReadings, Verdict, arbitrate
from dagster_project.parsing.frames import HAN, N_COLS
from dagster_project.parsing.labels import ROW_BY_KEY, ROW_REGEX

# Row labels searched in whitespace-free text, without line anchors.
STREAM_ROW = {
    key: re.compile(p.pattern.replace("^", "").replace("$", "")) for key, p in ROW_REGEX.items()
}
# Two independent words of each label where OCR or truncation may damage one of them.
_ALSO = {
    "new_received": "新收政府信息",
    "carried_over": "结转政府信息公开申请",
    "partial": "区分处理",
    "denied_law": "法规禁止|禁止公开",
    "denied_three_safety": "三安全|一稳定",
    "denied_third_party": "第三方|合法权益",
    "denied_internal": "三类内部",
    "denied_process": "四类过程",
    "denied_enforcement": "执法案卷",
    "denied_query": "查询事项",
    "unavailable_not_held": "本机关不",
    "unavailable_need_create": "现成信息",
    "unavailable_unclear": "补正后申请",
    "rejected_complaint": "举报投诉",
    "rejected_publication": "出版物",
    "rejected_mass": "正当理由大量",
    "rejected_confirm": "重新出具",
    "other_no_supplement": "不补正",
    "carried_forward": "下年度继续",
}
for _key, _words in _ALSO.items():
    STREAM_ROW[_key] = re.compile(f"{STREAM_ROW[_key].pattern}|{_words}")
STREAM_ROW["other_misc"] = re.compile(r"其他(?!法律|处理|对外|情形|结果|组织)")
STREAM_ROW["other"] = re.compile(r"其他处理")
STREAM_ROW["total"] = re.compile(r"\(?七\)?(?:总计|合计)")
STREAM_ROW["denied_law"] = re.compile(r"其他法律|法规禁止|禁止公开")

# Where table 3 starts and ends in whitespace-free text.
T3_START = re.compile(r"三[、.,]?收到和处理政府信息公开申请")
T3_START_BARE = re.compile(r"收到和处理政府信息公开申请情况")
T3_END = re.compile(r"四[、.,]?政府信息公开行政复议|行政复议[、,]?行政诉讼情况|五[、.,]?存在的")

# Digits that are not cells: enumerators before a label (1.属于…), generic OCR headers (数据3).
_NOT_CELLS = re.compile(rf"[1-9][.、,]\s*(?=[{HAN}“\"(])|数据\d")
# (The lookahead first lets the engine skip to the characters a cell can start with.)
_CELL = re.compile(r"(?=[\d—–\-/])(?:\d{1,3}(?:,\d{3})+|\d+|(?<![^\s|])[—–\-/]{1,2}(?![^\s|]))")
# A markdown header row (the row above a |---| rule): generic or wrong headers, never cells.
_MD_HEADER = re.compile(r"(?m)^[ \t]*\|.*\|[ \t]*(?=\n[ \t]*\|?[ \t]*:?-{3,})")
_MD_RULE = re.compile(r"^[\s|:]*-{3,}[-\s|:]*$")
_GLUED_CELL = re.compile(r"\d+|[—–\-/]")
_MD_EMPTY = re.compile(r"\|[ \t]*(?=\|)")
_WORD = re.compile(rf"[{HAN}]")


class Cell(NamedTuple):
    """A number, dash or blank cell of the stream with where it was printed."""

    text: str  # "" for a blank cell
    kind: str  # number (a count or a dash), field (an empty markdown field), line (a blank line)
    start: int  # offset in the region text
    end: int
    line: int
    col: int  # offset of the cell's end in its line: the column it sits under
    page: int
    value: int  # the count it reads as (a dash or a blank cell: 0)


def _blank_out(text: str, pattern: re.Pattern[str], fill: str = " ") -> str:
    return pattern.sub(lambda m: fill * len(m.group()), text)


@dataclass
class Region:
    """Table 3 of one report as a stream: text, cells and the labels found in it."""

    text: str
    first_line: int
    cells: list[Cell]
    labels: dict[str, tuple[int, int]]  # key → (start, end) offsets of its label
    in_order: dict[str, bool]
    flattened: bool
    layout: bool
    split: set[str]  # rows whose label goes on after the first of their numbers


def _between(cells: list[Cell], begin: int, stop: int) -> list[Cell]:
    """Those of these cells (in order) that start at or after `begin` and before `stop`."""
    lo = bisect.bisect_left(cells, begin, key=_START)
    return cells[lo : bisect.bisect_left(cells, stop, lo, key=_START)]


_START = attrgetter("start")


_BMP = 0x10000


@lru_cache(maxsize=2)
def _bmp_table(char_class: str) -> np.ndarray:
    """Which characters of the Basic Multilingual Plane a character class matches."""
    table = np.zeros(_BMP, dtype=bool)
    table[[m.start() for m in re.finditer(char_class, "".join(map(chr, range(_BMP))))]] = True
    return table


def _matched(char_class: str, codes: np.ndarray) -> np.ndarray:
    """Which of these code points a character class matches."""
    table = _bmp_table(char_class)
    beyond = np.flatnonzero(codes >= _BMP)
    if not beyond.size:
        return table[codes]
    matched = table[np.minimum(codes, _BMP - 1)]
    pattern = re.compile(char_class)
    for i in beyond:
        matched[i] = pattern.match(chr(codes[i])) is not None
    return matched


class Compact:
    """A text with the characters of a class left out (spaces, digits), and the offset in the
    text of each character kept."""

    def __init__(self, text: str, left_out: str, begin: int = 0) -> None:
        codes = np.frombuffer(text[begin:].encode("utf-32-le", "surrogatepass"), np.uint32)
        kept = np.flatnonzero(~_matched(left_out, codes))
        self.text = codes[kept].tobytes().decode("utf-32-le", "surrogatepass")
        self._where = kept + begin

    def offset(self, i: int) -> int:
        """Where the compact text's character i stands in the text."""
        return int(self._where[i])

    def end_before(self, i: int, j: int, offset: int) -> int:
        """Where the last of the characters i to j - 1 that stand before `offset` in the text
        ends in the text (one of them must)."""
        k = i + int(np.searchsorted(self._where[i:j], offset))
        return int(self._where[k - 1]) + 1


_SPACE = r"\s"
# Row labels are found in the text without spaces and the characters of cells (digits,
# dashes): the words of a label wrapped around its numbers join up.
_SPACE_OR_CELL = r"[\s\d—–\-/]"


def _non_space(text: str, anchors: tuple[str, ...]) -> Compact:
    """The text without spaces, from a little before the first anchor word found (a heading
    split by line breaks is still whole in what follows)."""
    begin = next((i for a in anchors if (i := text.find(a)) >= 0), 0)
    return Compact(text, _SPACE, max(0, begin - 40))


def find_region(text: str) -> tuple[int, int] | None:
    """Offsets of table 3 in a report's text: from its heading (or first row) to table 4."""
    where = _non_space(text, ("收到和处理", "本年新收", "新收"))
    compact = where.text
    start = T3_START.search(compact) or T3_START_BARE.search(compact)
    first = STREAM_ROW["new_received"].search(compact, start.end() if start else 0)
    if first is None:
        return None
    begin = start.start() if start else first.start()
    end = T3_END.search(compact, first.end())
    stop = STREAM_ROW["carried_forward"].search(compact, first.end())
    if end is not None and stop is not None and end.start() < stop.start():
        # A heading quoted inside the table (OCR headers): the table ends after its last row.
        end = T3_END.search(compact, stop.end())
    return where.offset(begin), (where.offset(end.start()) if end else len(text))


def _cells(text: str, first_line: int, glued: bool, aligned: bool) -> list[Cell]:
    """Every cell-like token of the region, blank cells included (a whitespace-only line of a
    one-cell-per-line rendering, an empty markdown field; in space-aligned text a blank cell
    is spaces, and a blank line no cell). In text whose cells run together every dash is a
    cell of its own, wherever it stands."""
    pattern = _GLUED_CELL if glued else _CELL
    starts = [0, *(m.end() for m in _NEWLINE.finditer(text))]
    pages = [m.start() for m in _FORM_FEED.finditer(text)]
    found = [(*m.span(), m.group(), "number") for m in pattern.finditer(text)]
    if not aligned:
        found += [(*m.span(), "", "line") for m in _BLANK_LINE.finditer(text)]
    for m in _MD_LINE.finditer(text):
        line = m.group()
        # An empty field before the row's label is a row-span cell, not a value.
        label = _TO_LAST_WORD.match(line)
        label_end = label.end() if label else 0
        found += [
            (m.start() + f.start() + 1, m.start() + f.end(), "", "field")
            for f in _MD_EMPTY.finditer(line)
            if f.start() >= label_end
        ]
    found.sort()
    cells = []
    starts.append(len(text) + 1)
    pages.append(len(text) + 1)
    n = page = 0  # the line and the page of the cell, found walking along with the cells
    for start, end, token, kind in found:
        while starts[n + 1] <= start:
            n += 1
        while pages[page] <= start:
            page += 1
        col = 0 if kind == "line" else end - starts[n]
        cells.append(Cell(token, kind, start, end, first_line + n, col, page, _value(token)))
    return cells


_NEWLINE = re.compile(r"\n")
_FORM_FEED = re.compile(r"\f")
_BLANK_LINE = re.compile(r"(?m)^[^\S\n\f]+$")
_MD_LINE = re.compile(r"(?m)^[ \t]*\|.*$")
_TO_LAST_WORD = re.compile(rf".*[{HAN}]")


# Two cells (counts or dashes) apart by two spaces or more: a line of space-aligned text.
_SPACED_CELLS = re.compile(r"[\d—–\-/][^\S\n]{2,}[\d—–\-/]")


def read_region(text: str, keys: tuple[str, ...], first_line: int) -> Region:
    """Locate the row labels of a table-3 region and its cells."""
    # A header row is struck out with a mark that is neither a cell nor a blank line.
    clean = _blank_out(_blank_out(text, _MD_HEADER, "\x01"), _NOT_CELLS)
    where = Compact(clean, _SPACE_OR_CELL)
    compact = where.text
    lines = [ln for ln in clean.split("\n") if ln.strip()]
    layout = sum(1 for ln in lines if _SPACED_CELLS.search(ln)) >= 3
    flattened = len(lines) <= 3
    cells = _cells(clean, first_line, flattened, layout)
    labels: dict[str, tuple[int, int]] = {}
    in_order: dict[str, bool] = {}
    split: set[str] = set()
    pos = 0
    for key in keys:
        m = STREAM_ROW[key].search(compact, pos)
        ordered = m is not None
        if m is None:
            m = STREAM_ROW[key].search(compact)
            if m is None or any(s <= where.offset(m.start()) < e for s, e in labels.values()):
                continue
        start, end = where.offset(m.start()), where.offset(m.end() - 1) + 1
        inside = [c for c in _between(cells, start, end) if c.kind == "number"]
        if inside:
            # Numbers within the label's words (a wrapped label goes on after the first of
            # its row's numbers): the label ends before them.
            end = where.end_before(m.start(), m.end(), inside[0].start)
            split.add(key)
        labels[key] = (start, end)
        in_order[key] = ordered
        if ordered:
            pos = m.end()
    return Region(
        text=clean,
        first_line=first_line,
        cells=cells,
        labels=labels,
        in_order=in_order,
        flattened=flattened,
        layout=layout,
        split=split,
    )


@lru_cache(maxsize=4096)
def _value(token: str) -> int:
    return 0 if not token or not token[0].isdigit() else int(token.replace(",", ""))


_VALUE_OF = attrgetter("value")
_TEXT_OF = attrgetter("text")
_LINE_OF = attrgetter("line")


@lru_cache(maxsize=64)
def _label_tail(row_key: str) -> str:
    """The characters of a row's label after what its stream pattern finds."""
    label = re.sub(r"\s", "", ROW_BY_KEY[row_key].label)
    m = STREAM_ROW[row_key].search(label)
    return _NOT_HAN.sub("", label[m.end() :]) if m else ""


_NOT_HAN = re.compile(rf"[^{HAN}]")


def _tail_follows(row_key: str, before: str, after: str) -> bool:
    """Whether the label of a row goes on after its first numbers (a wrapped label)."""
    tail = _label_tail(row_key)
    return _label_goes_on(row_key, after, 3) and not before.endswith(tail[-3:])


def _label_goes_on(row_key: str, after: str, chars: int = 2) -> bool:
    """Whether the first `chars` words after a row's numbers may be the rest of its label."""
    m = _first_words(chars).match(after)
    return m is not None and "".join(m.groups()) in _label_tail(row_key)


@lru_cache(maxsize=4)
def _first_words(chars: int) -> re.Pattern[str]:
    """The first `chars` words of a text, one group each."""
    return re.compile(f"[^{HAN}]*+([{HAN}])" * chars)


def _solid(seg: list[Cell]) -> list[Cell]:
    """The cells of a segment that are surely cells: numbers, empty markdown fields, and blank
    lines between two numbers (a blank line before or after them may only separate rows)."""
    idx = [i for i, c in enumerate(seg) if c.kind == "number"]
    if not idx:
        return [c for c in seg if c.kind == "field"]
    return [c for i, c in enumerate(seg) if c.kind != "line" or idx[0] < i < idx[-1]]


def _filled(region: Region, seg: list[Cell]) -> list[Cell]:
    """A markdown row with empty fields and as many numbers floating on lines of their own
    after it (a converter that lost a cell prints its value below): each floating number in
    an empty field, in order."""
    fields = [c for c in seg if c.kind == "field"]
    if not fields:
        return []
    table_lines = {c.line for c in seg if c.kind == "field"} | {
        c.line for c in seg if c.kind == "number" and _MD_LINE.match(_line_of(region, c))
    }
    loose = [c for c in seg if c.kind == "number" and c.line not in table_lines]
    if not fields or len(loose) != len(fields) or max(c.line for c in fields) > loose[0].line:
        return []
    fill = iter(loose)
    return [next(fill) if c.kind == "field" else c for c in seg if c not in loose]


def _line_of(region: Region, cell: Cell) -> str:
    start = region.text.rfind("\n", 0, cell.start) + 1
    end = region.text.find("\n", cell.start)
    return region.text[start : end if end >= 0 else len(region.text)]


def _segments(region: Region, keys: tuple[str, ...], rows: dict[str, RowReadings]) -> None:
    """The cells between each label and the next; certain rows are marked."""
    order = sorted(region.labels.items(), key=lambda kv: kv[1][0])
    # Numbers above the first row (beyond the header's) may belong to it: count them.
    prefix = sum(
        1 for c in region.cells if c.kind == "number" and order and c.start < order[0][1][0]
    )
    for i, (key, (_, end)) in enumerate(order):
        stop = order[i + 1][1][0] if i + 1 < len(order) else len(region.text)
        seg = _between(region.cells, end, stop)
        nums = [c for c in seg if c.kind == "number"]
        solid = _solid(seg)
        row = rows[key]
        options: list[list[Cell]] = []
        for cells in (solid, nums, seg, _filled(region, seg)):
            if len(cells) == N_COLS and cells not in options:
                options.append(cells)
        wrapped = False
        after_text = ""
        if nums:
            before = region.text[end : nums[0].start]
            after_text = region.text[nums[-1].end : stop]
            between = region.text[nums[0].start : nums[-1].end]
            wrapped = (
                key in region.split
                or _tail_follows(key, before, after_text)
                or bool(_WORD.search(between))
            )
        for cells in options:
            values = tuple(map(_VALUE_OF, cells))
            row.add(values, "segments", list(map(_TEXT_OF, cells)), list(map(_LINE_OF, cells)))
            if wrapped:
                # The number printed first (on the label's first line) is the row's total.
                moved = cells[1:] + cells[:1]
                row.add(
                    tuple(map(_VALUE_OF, moved)),
                    "segments",
                    list(map(_TEXT_OF, moved)),
                    list(map(_LINE_OF, moved)),
                )
        if (
            not options
            and nums
            and (region.flattened or any(len(c.text) > 1 and c.text[0] == "0" for c in nums))
        ):
            runs = [c.text for c in nums]
            readings = glued.split_runs(runs, [(0, N_COLS - 1)]) or []
            for values in readings:
                row.add(values, "split", [str(v) for v in values], [nums[0].line] * N_COLS)
            # Digits that split one way only are read without doubt, even where the source
            # breaks a column's identity (unless they break two: arbiter._misread_splits).
            row.certain = len(readings) == 1 and region.in_order.get(key, False)
            row.split = tuple(runs) if row.certain else ()
            prefix += len(solid)
            continue
        row.whole = len(options) == 1 and not wrapped and not _label_goes_on(key, after_text)
        lines = [c.line for c in solid]
        row.certain = (
            options == [solid]
            # a blank line before or after the numbers may be a cell or a separator
            and len(solid) == len([c for c in seg if c.kind != "field" or c in solid])
            and not wrapped
            # on one line: one cell to a line (PDF text in reading order) lets a cell move
            # across a label unseen, and a number wrapped in its cell spans two lines
            and len(set(lines)) == 1
            and region.in_order.get(key, False)
            and (region.flattened or prefix == keys.index(key) * N_COLS)
        )
        prefix += len(solid)


def _sequence(region: Region, keys: tuple[str, ...], rows: dict[str, RowReadings]) -> None:
    """Every cell of the table in reading order, seven to a row, when the count fits."""
    if not region.labels or region.flattened:
        return
    first = min(s for s, _ in region.labels.values())
    for kinds in (("number",), ("number", "field"), ("number", "field", "line")):
        cells = [c for c in region.cells if c.start >= first and c.kind in kinds]
        if len(cells) != len(keys) * N_COLS:
            continue
        for i, key in enumerate(keys):
            part = cells[i * N_COLS : (i + 1) * N_COLS]
            rows[key].add(
                tuple(map(_VALUE_OF, part)),
                "sequence",
                list(map(_TEXT_OF, part)),
                list(map(_LINE_OF, part)),
            )
        return


Anchors = tuple[str, list[float]]  # which edge of a number ("start" or "end"), column positions
_EDGES = {"start": lambda c: c.col - len(c.text), "end": lambda c: c.col}


def _clusters(positions: list[int]) -> list[float]:
    """Positions that lie within a character of each other, as one column each."""
    groups: list[list[int]] = []
    for x in sorted(positions):
        if groups and x - groups[-1][-1] <= 1:
            groups[-1].append(x)
        else:
            groups.append([x])
    return [median(g) for g in groups]


def _anchors(cells: list[Cell]) -> Anchors | None:
    """The seven column positions of one page of space-aligned text, from its lines of seven
    numbers: each column's numbers share a left edge (or a right edge) within a character.
    Numbers of lines with blanks are not used: one pushed aside by a wide neighbour would
    pass for a column of its own."""
    lines: dict[int, list[Cell]] = {}
    for c in cells:
        lines.setdefault(c.line, []).append(c)
    full = [row for row in lines.values() if len(row) == N_COLS]
    if not full:
        return None
    for edge, at in _EDGES.items():
        columns = [_clusters([at(row[j]) for row in full]) for j in range(N_COLS)]
        if all(len(c) == 1 for c in columns):
            return edge, [c[0] for c in columns]
    return None


# The first characters of each column's header, as a wrapped header cell prints them.
_HEADER_WORDS = ("自然", "商业", "科研", "社会", "法律", "其他", "总计")
_HEADER_WORD = re.compile(f"(?<!或)(?:{'|'.join(_HEADER_WORDS)})")


def _header_anchors(text: str) -> Anchors | None:
    """Column positions from the header of a space-aligned table 3: where each column's header
    word starts, when every word is found once, left to right."""
    found: dict[str, int] = {}
    for line in text.split("\n"):
        if "|" in line:
            return None
        for m in _HEADER_WORD.finditer(line):
            if m.group() in found:
                return None
            found[m.group()] = m.start()
    if len(found) != N_COLS:
        return None
    xs = [float(found[w]) for w in _HEADER_WORDS]
    if any(b - a < 3 for a, b in zip(xs, xs[1:], strict=False)):
        return None
    return "start", xs


def _explains(found: Anchors, cells: list[Cell], share: float = 0.8) -> bool:
    """Whether most numbers of a page stand right under one of these columns."""
    edge, columns = found
    at = _EDGES[edge]
    under = sum(1 for c in cells if min(abs(x - at(c)) for x in columns) <= 1.5)
    return under >= share * len(cells)


def _agree(a: Anchors, b: Anchors) -> bool:
    return a[0] == b[0] and all(abs(x - y) <= 1.5 for x, y in zip(a[1], b[1], strict=True))


def _columns(region: Region, keys: tuple[str, ...], rows: dict[str, RowReadings]) -> None:
    """Space-aligned text: each number to the column it sits under, per page; a column left
    empty is a blank cell, and a row with no number at all a row of blanks."""
    if not region.layout:
        return
    order = sorted(region.labels.items(), key=lambda kv: kv[1][0])
    if not order:
        return
    every = [c for c in region.cells if c.kind == "number"]
    numbers = [c for c in every if c.start >= order[0][1][0]]
    pages: dict[int, list[Cell]] = {}
    for c in numbers:
        pages.setdefault(c.page, []).append(c)
    anchors = {page: _anchors(cells) for page, cells in pages.items()}
    header = _header_anchors(region.text[: order[0][1][0]])
    if header is not None:
        page = region.text.count("\f", 0, order[0][1][0])
        # The header and the full lines must agree where both are found, unless the header
        # explains the page's numbers where the full lines cannot (a full line's number
        # pushed aside by a four-digit neighbour).
        found = anchors.get(page)
        if found in (None, header) or _agree(found, header) or _explains(header, pages[page]):
            anchors[page] = header
        else:
            anchors[page] = None
    for i, (key, (start, end)) in enumerate(order):
        stop = order[i + 1][1][0] if i + 1 < len(order) else len(region.text)
        nums = _between(numbers, end, stop)
        page = region.text.count("\f", 0, start)
        found = anchors.get(page)
        first = region.first_line + region.text.count("\n", 0, start)
        line = region.first_line + region.text.count("\n", 0, end)
        _wrapped(region, order, i, found, rows, (first, line), every)
        if i + 1 < len(order) and all(c.page == page for c in nums):
            _split_below(region, order, i, numbers, found, rows, (first, line), nums)
        if len(nums) > N_COLS or any(c.page != page for c in nums):
            continue
        if found is None:
            _placements(rows[key], nums, line)
            continue
        placed, tight = _place(nums, found)
        if len(placed) != len(nums):
            # Numbers pushed off their column (a long label beside them): let the sums place them.
            _placements(rows[key], nums, line)
            continue
        tokens, lines = _row(placed, line)
        rows[key].add(tuple(map(_value, tokens)), "columns", tokens, lines)
        # Every number of the row on one line of its label, each right under its column: as
        # sure as a row whose seven cells stand between its label and the next.
        # Blank cells are zeros only if the row then adds up: else its numbers may stand
        # elsewhere (a cut or wrapped row), and the identities must decide.
        values = list(map(_value, tokens))
        if (
            nums
            and tight
            and len({c.line for c in nums}) == 1
            and first <= nums[0].line <= line
            and region.in_order.get(key)
            and (len(nums) == N_COLS or sum(values[:-1]) == values[-1])
        ):
            rows[key].certain = True


def _place(nums: list[Cell], found: tuple[str, list[float]]) -> tuple[dict[int, Cell], bool]:
    """Each number to the column it stands under (stopping at the first that stands under none,
    or under a column taken), and whether every one stands right under its column."""
    edge, cols = found
    at = _EDGES[edge]
    tolerance = min(b - a for a, b in zip(cols, cols[1:], strict=False)) / 2
    placed: dict[int, Cell] = {}
    tight = True
    for c in nums:
        x = at(c)
        # the nearest column (columns run left to right; the left one where two are as near)
        j = bisect.bisect_left(cols, x)
        if j == len(cols) or (j and x - cols[j - 1] <= cols[j] - x):
            j -= 1
        distance = abs(cols[j] - x)
        if distance >= tolerance or j in placed:
            break
        tight = tight and distance <= 1.5
        placed[j] = c
    return placed, tight


def _row(placed: dict[int, Cell], line: int) -> tuple[list[str], list[int]]:
    """Tokens and lines of a row's seven cells from its placed numbers (blank elsewhere)."""
    tokens = [placed[j].text if j in placed else "" for j in range(N_COLS)]
    return tokens, [placed[j].line if j in placed else line for j in range(N_COLS)]


def _split_below(
    region: Region,
    order: list,
    i: int,
    numbers: list[Cell],
    found: tuple[str, list[float]] | None,
    rows: dict[str, RowReadings],
    label_lines: tuple[int, int],
    nums: list[Cell],
) -> None:
    """Numbers on lines below a row's label, before a next label that has none, may be the
    next row's (its cells centred in a tall row, or its label wrapped below them): this row
    with only the numbers on its label's lines (blank if none) and the next row with those
    below are a candidate beside reading them all as this row's; the identities decide."""
    first, line = label_lines
    own = [c for c in nums if first <= c.line <= line]
    below = [c for c in nums if c.line > line]
    following, (_, next_end) = order[i + 1]
    next_stop = order[i + 2][1][0] if i + 2 < len(order) else len(region.text)
    if not below or _between(numbers, next_end, next_stop):
        return
    if len(own) > N_COLS or len(below) > N_COLS:
        return
    mine, theirs = (_place(own, found)[0], _place(below, found)[0]) if found else ({}, {})
    if len(mine) != len(own) or len(theirs) != len(below):
        # columns unknown, or a number off them: only a full row below, each part placed in turn
        if len(below) == N_COLS:
            _placements(rows[order[i][0]], own, line)
            _placements(rows[following], below, line)
        return
    for key, placed in ((order[i][0], mine), (following, theirs)):
        tokens, lines = _row(placed, line)
        rows[key].add(tuple(map(_value, tokens)), "columns", tokens, lines)


def _wrapped(
    region: Region,
    order: list,
    i: int,
    found: tuple[str, list[float]] | None,
    rows: dict[str, RowReadings],
    label_lines: tuple[int, int],
    numbers: list[Cell],
) -> None:
    """A count wider than its cell wraps in it: in space-aligned text its first digits stand
    on the row's line, or on a line of numbers just above it, and the rest on the line just
    below, under the first part (1893 over 3 for 18933). This row with each such pair joined
    is a candidate, and so is the row above without that upper line; the identities settle
    them. `numbers`: every number of the region, the header's too."""
    first, line = label_lines
    key, (start, end) = order[i]
    stop = order[i + 1][1][0] if i + 1 < len(order) else len(region.text)
    # the next line of numbers in the row (a group's label may stand between)
    row = _between(numbers, end, stop)
    lower_line = min((c.line for c in row if c.line > line), default=0)
    below = [c for c in row if c.line == lower_line]
    # the lower line holds nothing but the lower parts (a group's label may stand left of them)
    if not below or _WORD.search(_line_of(region, below[0])[_EDGES["start"](below[0]) :]):
        return
    own = [c for c in row if first <= c.line <= line]
    above = [c for c in _between(numbers, 0, start) if c.line == first - 1]
    if above and not _WORD.search(_line_of(region, above[0])):
        pairs = _wrapped_pairs(above, below)
        if pairs and len(pairs) == len(above):
            _add_joined(rows[key], pairs, above + own, found, line)
            if i > 0:
                previous, (_, previous_end) = order[i - 1]
                theirs = _between(numbers, previous_end, start)
                theirs = [c for c in theirs if c.line != first - 1]
                previous_line = region.first_line + region.text.count("\n", 0, previous_end)
                if theirs:
                    _add_joined(rows[previous], {}, theirs, found, previous_line)
    pairs = _wrapped_pairs([c for c in own if c.line == line], below)
    if pairs:
        _add_joined(rows[key], pairs, own, found, line)


def _wrapped_pairs(uppers: list[Cell], lowers: list[Cell]) -> dict[int, str] | None:
    """Each lower part under an upper part that fills its cell (three digits at least, more
    than the lower), whether the cell aligns left, right or centred: the joined text by the
    upper's offset."""
    at = _EDGES["start"]
    joined: dict[int, str] = {}
    for lower in lowers:
        upper = next((u for u in uppers if at(u) - 1 <= at(lower) and lower.col <= u.col + 1), None)
        if upper is None or upper.start in joined:
            return None
        # the upper part fills its cell; the lower holds what did not fit
        if len(upper.text) < 3 or len(lower.text) >= len(upper.text):
            return None
        if not (upper.text.isdigit() and lower.text.isdigit()):
            return None
        joined[upper.start] = upper.text + lower.text
    return joined


def _add_joined(
    row: RowReadings,
    joined: dict[int, str],
    cells: list[Cell],
    found: tuple[str, list[float]] | None,
    line: int,
) -> None:
    """A row of these cells, each joined upper part read whole: placed under its column, or in
    every placement where the columns are unknown or a number stands off them."""
    placed = _place(sorted(cells, key=lambda c: c.start), found)[0] if found else {}
    if len(placed) != len(cells):
        whole = [
            c._replace(
                text=joined[c.start],
                col=c.col + len(joined[c.start]) - len(c.text),
                value=_value(joined[c.start]),
            )
            if c.start in joined
            else c
            for c in cells
        ]
        _placements(row, whole, line)
        return
    tokens, lines = _row(placed, line)
    tokens = [joined.get(placed[j].start, t) if j in placed else t for j, t in enumerate(tokens)]
    row.add(tuple(map(_value, tokens)), "columns", tokens, lines)


def _placements(row: RowReadings, nums: list[Cell], line: int) -> None:
    """A row on a page whose columns are unknown: every placement of its numbers, left to right,
    in the seven columns (blank cells elsewhere) is a candidate for the identities to settle."""
    ordered = sorted(nums, key=lambda c: (c.col - len(c.text), c.line))
    for chosen in itertools.combinations(range(N_COLS), len(ordered)):
        placed = dict(zip(chosen, ordered, strict=True))
        tokens = [placed[j].text if j in placed else "" for j in range(N_COLS)]
        lines = [placed[j].line if j in placed else line for j in range(N_COLS)]
        row.add(tuple(map(_value, tokens)), "placements", tokens, lines)


READINGS = (_segments, _sequence, _columns)


def read_table3(
    text: str, keys: tuple[str, ...], first_line: int = 1
) -> tuple[dict[str, Verdict], Region]:
    """Every reading of one table-3 region, arbitrated: a verdict per row."""
    region = read_region(text, keys, first_line)
    rows = {key: RowReadings(key) for key in keys}
    for reading in READINGS:
        reading(region, keys, rows)
    for row in rows.values():
        if len(row.candidates) > 1:
            row.certain = False
    return arbitrate(keys, rows), region


# Table 4 in whitespace-free text: from its heading to section 五.
T4_START = re.compile(r"四[、.,]?政府信息公开行政复议")
T4_END = re.compile(r"五[、.,]?(?:政府信息公开工作)?存在的|五[、.,]?其他需要")


# Words that start a table-4 outcome header cell (wrapped or not).
_T4_WORDS = re.compile(rf"(?<![{HAN}])(?:结果|其他|尚未|总计|合计)")


def _t4_span(text: str) -> tuple[int, int] | None:
    """Offsets of table 4 in a report's text: from its heading to section 五."""
    where = _non_space(text, ("行政复议", "复议"))
    compact = where.text
    start = T4_START.search(compact)
    if start is None:
        return None
    end = T4_END.search(compact, start.end())
    body = compact[start.end() : end.start() if end else len(compact)]
    if "维持" not in body or "审结" not in body:
        return None  # a heading without the table's header: no table 4
    return where.offset(start.end() - 1) + 1, (where.offset(end.start()) if end else len(text))


def table4_columns(text: str) -> tuple[list[str], list[int | None]] | None:
    """Table 4 of space-aligned text whose blank cells vanished: each number goes to the
    header cell it sits under (fifteen header cells). Kept only if every channel's outcomes
    add up to its total and no other placement that adds up reads otherwise."""
    span = _t4_span(text)
    if span is None:
        return None
    begin, stop = span
    first_line = text.count("\n", 0, begin) + 1
    header: list[int] = []
    numbers: list[tuple[int, int, str]] = []  # (line, start, token)
    for n, line in enumerate(text[begin:stop].split("\n")):
        found = [m for m in _CELL.finditer(line) if m.group()[0].isdigit()]
        if found and not _WORD.search(line):
            numbers += [(first_line + n, m.start(), m.group()) for m in found]
        elif not numbers:
            header += [m.start() for m in _T4_WORDS.finditer(line)]
    columns = _clusters(header)
    if len(columns) != 15 or len({ln for ln, _, _ in numbers}) > 1:
        return None
    if not numbers:
        # the whole header and nothing under it to section 五: every cell left blank
        return [""] * 15, [first_line + text.count("\n", begin, stop)] * 15
    gap = min(b - a for a, b in zip(columns, columns[1:], strict=False))
    # A number stands under its header word, or starts its cell left of a centred header:
    # every placement either way that adds up is a reading, and they must agree.
    readings = set()
    for under in (
        lambda x: min(range(15), key=lambda k: abs(columns[k] - x)),
        lambda x: next((k for k in range(15) if columns[k] >= x - 1), 14),
    ):
        placed: dict[int, str] = {}
        for _, x, token in numbers:
            j = under(x)
            if abs(columns[j] - x) >= (gap if columns[j] >= x else gap / 2) or j in placed:
                break
            placed[j] = token
        else:
            values = [_value(placed.get(j, "")) for j in range(15)]
            if all(sum(values[i : i + 4]) == values[i + 4] for i in (0, 5, 10)):
                readings.add(tuple(placed.get(j, "") for j in range(15)))
    if len(readings) != 1:
        return None
    return list(readings.pop()), [numbers[0][0]] * 15


def table4_cells(text: str) -> tuple[list[str], int, bool] | None:
    """The cell tokens of table 4 found in the stream (every dash a cell of its own), the line
    they start on, and whether they surely ran together: some stand on a line with words, as
    crawler text prints them, or a run starts with a zero no cell has. None without a table 4."""
    span = _t4_span(text)
    if span is None:
        return None
    begin, stop = span
    tokens: list[str] = []
    glued = False
    for line in _blank_out(text[begin:stop], _NOT_CELLS).split("\n"):
        if _MD_RULE.match(line):
            continue  # a markdown rule row: its dashes are no cells
        found = _GLUED_CELL.findall(line)
        tokens += found
        glued = glued or (bool(found) and bool(_WORD.search(line)))
    if sum(len(t) for t in tokens) < 15:
        return None
    glued = glued or any(len(t) > 1 and t[0] == "0" for t in tokens)
    return tokens, text.count("\n", 0, begin) + 1, glued
