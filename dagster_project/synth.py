"""Synthetic reports: random, identity-consistent truths rendered through every real layout.

A report is generated as a truth in the shape of the parse contract, then printed as text in
one of the layouts real crawls produce (PDF extraction, pdftotext -layout, HTML one cell per
line, tab-separated, markdown tables whole or shattered, crawler text with cells run together),
optionally in Traditional characters with pinyin glosses. Violations of an identity can be
injected at a given rate; the truth then holds the printed (inconsistent) value.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from dagster_project.parsing.labels import (
    APPLICANT_COLUMNS,
    ITEM_BY_KEY,
    TABLE2_ITEMS,
    TABLE3_GROUPS,
    TABLE3_ROWS,
    TABLE3_VARIANTS,
    TABLE4_CELLS,
)

LAYOUTS = (
    "pdf",
    "layout",
    "html",
    "tsv",
    "markdown",
    "shattered",
    "crawler",
    # modelled on real files (tests/real): crawler pages on one line, office PDFs through
    # pdftotext, Word HTML one cell per line, OCR markdown
    "crawler_page",
    "office_layout",
    "office_text",
    "html_cells",
    "ocr_markdown",
)
CITIES = ("广州市", "深圳市", "淮安市", "温州市", "东莞市", "成都市", "长沙市", "兰州市", "昆明市")
COUNTIES = ("洪泽区", "天河区", "鹿城区", "双流区", "浏阳市", "城关区")
DEPARTMENTS = (
    "统计局",
    "人民政府",
    "生态环境局",
    "教育局",
    "卫生健康委员会",
    "司法局",
    "人民政府办公室",
    "市场监督管理局",
)

# Printed labels of table 3: key → (group heading on the group's first row, item label).
_T3_PRINT: dict[str, tuple[str | None, str]] = {
    row.key: (TABLE3_GROUPS.get(row.key), row.label) for row in TABLE3_ROWS
}
_T3_HEADER = (
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）",
    "申请人情况",
    "自然人",
    "法人或其他组织",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "其他",
    "总计",
)
_T4_HEADER = (
    "行政复议",
    "行政诉讼",
    "结果维持",
    "结果纠正",
    "其他结果",
    "尚未审结",
    "总计",
    "未经复议直接起诉",
    "复议后起诉",
)
_T2_HEADERS = {
    "2019": {
        "regulations": (
            "第二十条第（一）项",
            "信息内容",
            "本年新制作数量",
            "本年新公开数量",
            "对外公开总数量",
        ),
        "licensing": (
            "第二十条第（五）项",
            "信息内容",
            "上一年项目数量",
            "本年增/减",
            "处理决定数量",
        ),
        "penalty": (
            "第二十条第（六）项",
            "信息内容",
            "上一年项目数量",
            "本年增/减",
            "处理决定数量",
        ),
        "fees": ("第二十条第（八）项", "信息内容", "上一年项目数量", "本年增/减"),
        "procurement": ("第二十条第（九）项", "信息内容", "采购项目数量", "采购总金额"),
    },
    "2021": {
        "regulations": (
            "第二十条第（一）项",
            "信息内容",
            "本年制发件数",
            "本年废止件数",
            "现行有效件数",
        ),
        "licensing": ("第二十条第（五）项", "信息内容", "本年处理决定数量"),
        "penalty": ("第二十条第（六）项", "信息内容", "本年处理决定数量"),
        "fees": ("第二十条第（八）项", "信息内容", "本年收费金额（单位：万元）"),
    },
}
_PINYIN = {
    "據": "jù",
    "規": "guī",
    "關": "guān",
    "開": "kāi",
    "條": "tiáo",
    "報": "bào",
    "進": "jìn",
    "總": "zǒng",
    "務": "wù",
    "導": "dǎo",
}


@dataclass
class Synthetic:
    """One generated report: its text, its truth (contract shape) and how it was rendered."""

    text: str
    truth: dict
    layout: str
    traditional: bool
    violated: bool


# ---------------------------------------------------------------------------------------------
# Truth


def _count(rng: random.Random, scale: int) -> int:
    if rng.random() < 0.55:
        return 0
    return int(rng.expovariate(1 / scale)) if scale else 0


def _truth(rng: random.Random, violation_rate: float) -> tuple[dict, bool]:
    fmt = rng.choice(("2019", "2021"))
    year = rng.choice((2019, 2020)) if fmt == "2019" else rng.randint(2021, 2025)
    variant = "single_other" if fmt == "2019" or rng.random() < 0.1 else "three_other"
    city = rng.choice(CITIES)
    agency = city + (rng.choice(COUNTIES) if rng.random() < 0.3 else "") + rng.choice(DEPARTMENTS)
    keys = TABLE3_VARIANTS[variant]
    leaves = [
        k for k in keys if k not in ("new_received", "carried_over", "total", "carried_forward")
    ]
    scale = rng.choice((3, 30, 300, 3000))
    col_scale = [scale, scale // 10, scale // 100, scale // 50, scale // 50, scale // 20]
    t3: dict[str, list[int]] = {}
    for key in leaves:
        t3[key] = [_count(rng, s) for s in col_scale]
    t3["total"] = [sum(t3[k][c] for k in leaves) for c in range(6)]
    t3["carried_forward"] = [_count(rng, s // 5) for s in col_scale]
    t3["carried_over"] = [
        min(_count(rng, s // 5), t3["total"][c] + t3["carried_forward"][c])
        for c, s in enumerate(col_scale)
    ]
    t3["new_received"] = [
        t3["total"][c] + t3["carried_forward"][c] - t3["carried_over"][c] for c in range(6)
    ]
    for values in t3.values():
        values.append(sum(values))
    t4: list[int] = []
    for _ in range(3):
        outcomes = [_count(rng, scale // 50 + 1) for _ in range(4)]
        t4 += [*outcomes, sum(outcomes)]
    violated = rng.random() < violation_rate
    if violated:
        key = rng.choice(("total", "granted", "new_received"))
        col = rng.randrange(7)
        t3[key][col] += rng.randint(1, 9)
    t2: dict[str, dict] = {}
    for item in TABLE2_ITEMS:
        for measure in item.measures.get(fmt, ()):
            if measure == "change":
                value: int | Decimal = rng.randint(-30, 60)
            elif measure == "amount_yuan":
                value = Decimal(rng.randint(0, 10**7)) * (100 if rng.random() < 0.5 else 1)
            else:
                value = _count(rng, scale * 3)
            t2.setdefault(item.key, {})[measure] = value
    if fmt == "2019":
        for item in ("regulations", "normative_documents"):
            t2[item]["new_published"] = min(t2[item]["new_published"], t2[item]["total_published"])
        for item in ("licensing", "other_services", "penalty", "enforcement", "fees"):
            t2[item]["change"] = max(t2[item]["change"], -t2[item]["prev_items"])
    truth = {
        "agency": agency,
        "year": year,
        "format": fmt,
        "table3_variant": variant,
        "tables_present": {"table2": True, "table3": True, "table4": True},
        "table3": {k: t3[k] for k in keys},
        "table4": t4,
        "table2": t2,
        "narrative": {
            "applications_received": t3["new_received"][-1],
            "granted": t3["granted"][-1],
        },
    }
    return truth, violated


# ---------------------------------------------------------------------------------------------
# Printing helpers


class _Style:
    """The per-report choices of a printer: zeros, brackets and label variants."""

    def __init__(self, rng: random.Random, layout: str) -> None:
        blanks_ok = layout in ("html", "markdown", "shattered")
        dashes = ("0", "—", "-", "/") if layout != "crawler" else ("0",)
        self.zero = rng.choice((*dashes, *(("",) if blanks_ok else ())))
        self.half_brackets = rng.random() < 0.3
        self.need = rng.choice(("需要另行制作", "需另行制作"))
        self.total = rng.choice(("总计", "合计"))
        self.normative = rng.choice(("规范性文件", "行政规范性文件"))

    def cell(self, value: int) -> str:
        return self.zero if value == 0 else str(value)

    def label(self, text: str) -> str:
        text = text.replace("需要另行制作", self.need).replace("（七）总计", f"（七）{self.total}")
        if self.half_brackets:
            text = text.replace("（", "(").replace("）", ")")
        return text


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def _money(value: Decimal, fmt: str, rng: random.Random) -> str:
    if fmt == "2021":  # the header says 万元
        return f"{(value / 10000).normalize():f}"
    if value == 0:
        return "0"
    if value % 100 == 0 and rng.random() < 0.5:
        return f"{(value / 10000).normalize():f}万元"
    return f"{value}元"


def _t2_value(
    item: str, measure: str, value: int | Decimal, fmt: str, style: _Style, rng: random.Random
) -> str:
    if measure == "amount_yuan":
        return _money(Decimal(value), fmt, rng)
    if measure == "change" and value != 0:
        return (
            rng.choice((f"+{value}", f"增{value}"))
            if value > 0
            else rng.choice((f"-{-value}", f"减{-value}"))
        )
    return style.cell(int(value))


def _t2_blocks(truth: dict, style: _Style, rng: random.Random) -> list[tuple[tuple, list]]:
    """Table 2 as blocks: (header cells, [(item label, value cells)])."""
    fmt, t2 = truth["format"], truth["table2"]
    groups = {
        "regulations": ("regulations", "normative_documents"),
        "licensing": ("licensing", "other_services"),
        "penalty": ("penalty", "enforcement"),
        "fees": ("fees",),
        "procurement": ("procurement",),
    }
    blocks = []
    for head, items in groups.items():
        if head not in _T2_HEADERS[fmt]:
            continue
        rows = []
        for item in items:
            if item not in t2:
                continue
            label = style.normative if item == "normative_documents" else ITEM_BY_KEY[item].label
            rows.append(
                (label, [_t2_value(item, m, v, fmt, style, rng) for m, v in t2[item].items()])
            )
        blocks.append((_T2_HEADERS[fmt][head], rows))
    return blocks


def _t3_rows(truth: dict, style: _Style) -> list[tuple[str | None, str, list[str]]]:
    return [
        (style.label(g) if g else None, style.label(label), [style.cell(v) for v in values])
        for key, values in truth["table3"].items()
        for g, label in [_T3_PRINT[key]]
    ]


# ---------------------------------------------------------------------------------------------
# Layouts: each returns the text of tables 2, 3 and 4 (headings included)


def _render_pdf(truth: dict, style: _Style, rng: random.Random) -> list[str]:
    width = rng.randint(6, 12)
    gap = rng.random() < 0.5  # PDF extraction with a blank line after every line
    out = ["二、主动公开政府信息情况"]
    for header, rows in _t2_blocks(truth, style, rng):
        out += [header[0], " ".join(header[1:])]
        for label, cells in rows:
            if len(label) > width:
                out += _wrap(label, width)[:-1] + [_wrap(label, width)[-1]]
                out.append(" ".join(cells))
            else:
                out.append(f"{label} {' '.join(cells)}")
    header = [
        *_wrap(_T3_HEADER[0], 13),
        "申请人情况",
        "自然",
        "人",
        "法人或其他组织",
        "总计商业",
        "企业",
        "科研",
        "机构",
        "社会",
        "公益",
        "组织",
        "法律",
        "服务",
        "机构",
        "其",
        "他",
    ]
    out += ["三、收到和处理政府信息公开申请情况", *header]
    rows = _t3_rows(truth, style)
    page_break = rng.randrange(3, len(rows) - 2)
    for i, (group, label, cells) in enumerate(rows):
        if i == page_break:
            out += [f"- {rng.randint(2, 9)} -", *header]
        if group and group.startswith("三"):
            out += list(group)  # the vertical label, one character per line
        elif group:
            out += _wrap(group, 4)
        parts = _wrap(label, width)
        numbers = " ".join(c or "0" for c in cells)
        if rng.random() < 0.5:
            out += parts[:-1] + [f"{parts[-1]} {numbers}"]
        else:
            out += parts + [numbers]
    out += [
        "四、政府信息公开行政复议、行政诉讼情况",
        "行政复议 行政诉讼",
        *"结果维持",
        *"结果纠正",
        "总",
        "计",
        "未经复议直接起诉 复议后起诉",
        " ".join(style.cell(v) or "0" for v in truth["table4"]),
    ]
    if gap:
        out = [x for line in out for x in (line, "")]
    return out


def _render_layout(truth: dict, style: _Style, rng: random.Random) -> list[str]:
    out = ["     二、主动公开政府信息情况"]
    for header, rows in _t2_blocks(truth, style, rng):
        out += ["              " + header[0], "", "       " + "   ".join(header[1:]), ""]
        for label, cells in rows:
            out.append(f"{label:<20}" + "".join(f"{c:>12}" for c in cells))
    out += [
        "                  三、收到和处理政府信息公开申请情况",
        "                                              申请人情况",
        "（本列数据的勾稽关系为：第一项加第二项之和， 等",
        "于第三项加第四项之和）",
        "                         自然人         社会 法律                   总计",
        "                               商业 科研 公益 服务 其他",
        "                               企业 机构 组织 机构",
        "",
    ]
    for group, label, cells in _t3_rows(truth, style):
        numbers = "".join(f"{c or '0':>6}" for c in cells)
        indent = " " * rng.choice((0, 10, 18))
        if group and group.startswith("三"):
            out.append(" 三 、本 年 度办 理 结果")
        elif group:
            out.append(f"     {group}")
        if len(label) > 18 and rng.random() < 0.5:
            head, tail = label[:18], label[18:]
            out += [indent + head, indent + "  " + tail, " " * 40 + numbers]
        else:
            out.append(f"{indent}{label:<30}{numbers}")
    out += [
        "",
        "     四、政府信息公开行政复议、行政诉讼情况",
        "          行政复议                              行政诉讼",
        "",
        "结果   结果     其他   尚未    总 计",
        "维持   纠正     结果   审结",
        "",
        "",
        " " + "   ".join(style.cell(v) or "0" for v in truth["table4"]),
    ]
    return out


def _render_html(truth: dict, style: _Style, rng: random.Random) -> list[str]:
    out = ["二、主动公开政府信息情况"]
    for header, rows in _t2_blocks(truth, style, rng):
        out += ["\t" + header[0], ""] + ["\t" + h for h in header[1:]] + [""]
        for label, cells in rows:
            out += ["\t" + label] + ["\t" + (c or "0") for c in cells] + [""]
    out += [
        "",
        "三、收到和处理政府信息公开申请情况",
        "",
        "\t" + _T3_HEADER[0],
        "\t申请人情况",
        "",
        "\t",
        "\t自然人",
        "\t法人或其他组织",
        "\t总计",
        "",
        "\t",
        "\t",
        *["\t" + h for h in _T3_HEADER[4:9]],
        "\t",
        "",
    ]
    for group, label, cells in _t3_rows(truth, style):
        if group:
            out.append("\t" + group)
        elif not label.startswith(("一", "二", "四")):
            out.append("\t")
        out += ["\t" + label] + ["\t" + c for c in cells] + [""]
    out += ["", "四、政府信息公开行政复议、行政诉讼情况", "\t行政复议", "\t行政诉讼", ""]
    out += ["\t" + h for h in _T4_HEADER[2:]] + [""]
    out += ["\t" + style.cell(v) for v in truth["table4"]] + [""]
    return out


def _render_tsv(truth: dict, style: _Style, rng: random.Random) -> list[str]:
    out = ["二、主动公开政府信息情况", ""]
    for header, rows in _t2_blocks(truth, style, rng):
        out += [header[0] + "\t\t\t", "\t".join(header[1:])]
        out += ["\t".join((label, *cells)) for label, cells in rows]
    out += [
        "--------\t---\t---",
        "",
        "三、收到和处理政府信息公开申请情况",
        "",
        _T3_HEADER[0] + "\t\t申请人情况\t\t\t\t\t\t总计\t",
        "\t\t自然人\t法人或其他组织\t\t\t\t\t\t",
        "\t\t\t" + "\t".join(_T3_HEADER[4:9]) + "\t\t",
    ]
    for group, label, cells in _t3_rows(truth, style):
        lead = [group] if group else [""] if not label.startswith(("一", "二", "四")) else []
        if label.startswith(("一", "二", "四")):
            fields = [label, "", *cells, ""]
        elif rng.random() < 0.2:  # rows under a row-span shift left when the span is lost
            fields = [label, "", *cells]
        else:
            fields = [*lead, label, *cells]
        out.append("\t".join(fields))
    out += [
        "",
        "四、政府信息公开行政复议、行政诉讼情况",
        "",
        "行政复议\t\t\t\t\t行政诉讼",
        "\t".join(_T4_HEADER[2:7]) + "\t未经复议直接起诉",
        "\t".join(style.cell(v) for v in truth["table4"]),
    ]
    return out


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _render_markdown(truth: dict, style: _Style, rng: random.Random, shattered: bool) -> list[str]:
    out = ["## 二、主动公开政府信息情况", ""]
    for header, rows in _t2_blocks(truth, style, rng):
        width = len(header) - 1
        out += [header[0], "", _md_row(list(header[1:])), _md_row(["---"] * width)]
        out += [_md_row([label, *cells]) for label, cells in rows] + [""]
    out += ["## 三、收到和处理政府信息公开申请情况", ""]
    rows = _t3_rows(truth, style)
    generic = [f"列{i}" for i in range(1, 9)]
    if not shattered:
        out += [_md_row(["", _T3_HEADER[0], *APPLICANT_COLUMNS_ZH]), _md_row(["---"] * 9)]
        out += [_md_row([group or "", label, *cells]) for group, label, cells in rows]
    else:
        i = 0
        while i < len(rows):
            chunk = rows[i : i + rng.randint(2, 6)]
            i += len(chunk)
            for group, label, cells in chunk:
                if group:
                    out.append(group)
                out += [label, "", _md_row(generic[:7]), _md_row(["---"] * 7), _md_row(cells), ""]
    out += [
        "",
        "## 四、政府信息公开行政复议、行政诉讼情况",
        "",
        _md_row(list(_T4_HEADER[2:7]) * 3),
        _md_row(["---"] * 15),
        _md_row([style.cell(v) for v in truth["table4"]]),
        "",
    ]
    return out


APPLICANT_COLUMNS_ZH = (
    "自然人",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "其他",
    "总计",
)


def _glued(cells: list[str], rng: random.Random) -> str:
    return "".join(c + (" " if rng.random() < 0.3 else "") for c in cells).strip()


def _render_crawler(truth: dict, style: _Style, rng: random.Random) -> list[str]:
    t2 = " ".join(
        " ".join(header) + " " + " ".join(f"{label} {' '.join(cells)}" for label, cells in rows)
        for header, rows in _t2_blocks(truth, style, rng)
    )
    t3 = "".join(
        (group or "") + label + _glued(cells, rng) for group, label, cells in _t3_rows(truth, style)
    )
    t4 = _glued([style.cell(v) for v in truth["table4"]], rng)
    return [
        f"二、主动公开政府信息情况 {t2}",
        f"三、收到和处理政府信息公开申请情况 {' '.join(_T3_HEADER)} {t3}",
        f"四、政府信息公开行政复议、行政诉讼情况 {' '.join(_T4_HEADER)} {t4}",
    ]


def _before_table3(lines: list[str]) -> list[str]:
    """The table-2 part of another layout's rendering."""
    return lines[: next(i for i, line in enumerate(lines) if "收到和处理" in line)]


# Office-made PDFs through pdftotext: the national Word form, a label cell this many characters
# wide, the row-span group labels of table 3 printed beside their rows a few characters a line.
_OFFICE_WRAP = 14
# Digits that fit in a cell of table 3 in the exported PDF (LibreOffice wraps 18933 as 1893, 3).
_OFFICE_CELL = 4
_OFFICE_GROUPS = {
    "granted": ["三、本", "年度办", "理结果"],
    "denied_third_party": ["（三）不", "予公开"],
    "unavailable_not_held": ["（四）无", "法提供"],
    "rejected_publication": ["（五）不", "予处理"],
    "other_no_supplement": ["（六）其", "他处理"],
}


def _office_rows(truth: dict, style: _Style) -> list[tuple[list[str], str, list[str]]]:
    """Table-3 rows as the office form prints them: group fragments beside each row, the item
    label without its group, the cells."""
    rows = []
    pending: list[str] = []
    for key, values in truth["table3"].items():
        if key in _OFFICE_GROUPS:
            pending = list(_OFFICE_GROUPS[key])
        label = style.label(_T3_PRINT[key][1])
        if key == "other" and truth["format"] == "2019":
            label = style.label("（六）其他处理")
        frag = [pending.pop(0)] if pending else []
        rows.append((frag, label, [style.cell(v) for v in values]))
    return rows


def _office_header(columns: list[int]) -> list[str]:
    out = [
        "     三、收到和处理政府信息公开申请情况",
        "",
        " " * (columns[2] + 2) + "申请人情况",
        " " * (columns[1] + 2) + "法人或其他组织",
        "（本列数据的勾稽关系为：第一项加第二项之和，等",
    ]
    words = (
        ("自然", "商业", "科研", "社会", "法律", "", ""),
        ("人", "企业", "机构", "公益", "服务", "其他", "总计"),
        ("", "", "", "组织", "机构", "", ""),
    )
    for n, row in enumerate(words):
        line = "于第三项加第四项之和）" if n == 1 else ""
        for at, word in zip(columns, row, strict=True):
            if word:
                line = line.ljust(at) + word if len(line) < at else line + " " + word
        out.append(line)
    return out


def _at(line: str, at: int, text: str) -> str:
    """Text placed at a column; pushed right past what the line already holds."""
    if not text:
        return line
    return line.ljust(at) + text if len(line) < at else line + " " + text


def _render_office_layout(truth: dict, style: _Style, rng: random.Random) -> list[str]:
    """`pdftotext -layout` of the Word form exported to PDF: cells at their column, a wrapped
    label with the row's total on its first line, blank cells gone, counts wider than their
    cell wrapped over the lines above and below their row's, and the last rows on a new page
    whose character grid is another."""
    out = _before_table3(_render_layout(truth, style, rng))
    base, gap = rng.randint(26, 31), rng.randint(5, 7)
    columns = [base + i * gap + (1 if i == 6 else 0) for i in range(7)]
    out += _office_header(columns)
    rows = _office_rows(truth, style)
    page = rng.randrange(len(rows) - 4, len(rows)) if rng.random() < 0.7 else len(rows)
    # Counts of five digits wrap in their cells unless the exporter shrank the font.
    wide = rng.random() < 0.5
    for i, (frag, label, cells) in enumerate(rows):
        if i == page:
            scale = rng.uniform(1.3, 1.7)
            columns = [int(base * 1.4 + (c - base) * scale) for c in columns]
            out.append("\f")
        lead = (frag[0] + " ") if frag else " " * 10
        if len(label) <= _OFFICE_WRAP:
            line, above, below = lead + label, "", ""
            for at, cell in zip(columns, cells, strict=True):
                if wide and len(cell) > _OFFICE_CELL:
                    # wider than its cell: wrapped, the row's line between its two parts
                    above = _at(above, at, cell[:_OFFICE_CELL])
                    below = _at(below, at, cell[_OFFICE_CELL:])
                else:
                    line = _at(line, at, cell)
            out += [above, line, below] if above else [line]
            continue
        out.append(_at(lead + label[:_OFFICE_WRAP], columns[-1], cells[-1]))
        middle = " " * 10 + label[_OFFICE_WRAP : 2 * _OFFICE_WRAP]
        if len(label) <= 2 * _OFFICE_WRAP:
            out.append("")  # the cells stand between the label's two lines
            middle = ""
        for at, cell in zip(columns[:-1], cells[:-1], strict=True):
            middle = _at(middle, at, cell)
        out.append(middle)
        if label[2 * _OFFICE_WRAP :] or len(label) <= 2 * _OFFICE_WRAP:
            out.append(
                " " * 10 + label[2 * _OFFICE_WRAP :]
                if len(label) > 2 * _OFFICE_WRAP
                else " " * 10 + label[_OFFICE_WRAP:]
            )
    t4 = [style.cell(v) for v in truth["table4"]]
    t4_columns = [i * 5 + (2 if i >= 5 else 0) + (3 if i >= 10 else 0) for i in range(15)]
    heads = ("结果", "结果", "其他", "尚未", "总计") * 3
    line = ""
    for at, word in zip(t4_columns, heads, strict=True):
        line = _at(line, at, word)
    numbers = ""
    for at, cell in zip(t4_columns, t4, strict=True):
        numbers = _at(numbers, at, cell)
    out += [
        "",
        "      四、政府信息公开行政复议、行政诉讼情况",
        "",
        "          行政复议                                   行政诉讼",
        "                                未经复议直接起诉                    复议后起诉",
        line,
        "维持   纠正   结果     审结",
        "",
        numbers,
        "",
    ]
    return out


def _render_office_text(truth: dict, style: _Style, rng: random.Random) -> list[str]:
    """`pdftotext` in its default order: every cell on a line of its own with a blank line
    after it, blank cells gone, and the total of a wrapped row after the next row's label."""
    out = _before_table3(_render_pdf(truth, style, rng))
    out += [
        "三、收到和处理政府信息公开申请情况",
        "",
        "申请人情况",
        _T3_HEADER[0][:23],
        _T3_HEADER[0][23:],
        "",
        "法人或其他组织",
        *[x for w in ("自然", "商业", "科研", "人", "社会", "法律") for x in (w, "")],
        "",
    ]
    late: list[str] = []
    for frag, label, cells in _office_rows(truth, style):
        lead = frag[0] + " " if frag else ""
        if len(label) > _OFFICE_WRAP:
            out += [lead + label[:_OFFICE_WRAP], label[_OFFICE_WRAP:], ""]
        else:
            out += [lead + label, ""]
        out += late
        late = []
        shown = cells if len(label) <= _OFFICE_WRAP else cells[:-1]
        out += [x for c in shown if c for x in (c, "")]
        if len(label) > _OFFICE_WRAP and cells[-1]:
            late = [cells[-1], ""]
    out += late
    out += ["四、政府信息公开行政复议、行政诉讼情况", "", "行政复议", "", "行政诉讼", ""]
    out += [
        x
        for w in ("结果", "维持", "结果", "纠正", "其他", "结果", "尚未", "审结", "总计")
        for x in (w, "")
    ]
    out += [x for c in (style.cell(v) for v in truth["table4"]) if c for x in (c, "")]
    return out


def _spans(label: str, rng: random.Random) -> list[str]:
    """A label as Word HTML renders it one span per line: enumerators and brackets apart."""
    parts = re.findall(r"[（(]|[一二三四五六七][）)、]?|[）)]|\d[.、]|[^（()）\d]+|\d", label)
    if rng.random() < 0.5:
        return ["".join(parts)]
    return [p for p in parts if p]


def _render_html_cells(truth: dict, style: _Style, rng: random.Random) -> list[str]:
    """Word-exported HTML rendered as text: one cell per line with blank lines between, labels
    split at span boundaries, an empty cell a line holding one space."""
    out = _before_table3(_render_html(truth, style, rng))
    out += [
        "",
        "三、收到和处理",
        "政府信息公开申请情况",
        "",
        " ",
        "",
        _T3_HEADER[0],
        "",
        "申请人情",
        "况",
    ]
    out += ["", " ", "", "自然", "人", "", "法人或其他组织", "", "总", "计", ""]
    out += [
        x
        for w in ("商业", "企业", "科研", "机构", "社会公益组织", "法律服务机构", "其", "他")
        for x in (w, "")
    ]
    blank = rng.random() < 0.6
    for key, values in truth["table3"].items():
        group, label = _T3_PRINT[key]
        if group:
            out += [*_spans(style.label(group), rng), ""]
        out += [*_spans(style.label(label), rng), ""]
        for v in values:
            out += [" " if (blank and v == 0) else style.cell(v) or "0", ""]
        out.append("")
    out += [
        "",
        "四、政府信息公开行政复议、行政诉讼情况",
        "",
        "行",
        "政复议",
        "",
        "行",
        "政诉讼",
        "",
    ]
    out += [
        x
        for w in ("结果维持", "结果", "纠正", "其", "他", "结果", "尚未审结", "总计")
        for x in (w, "")
    ]
    out += [x for v in truth["table4"] for x in (str(v), "")]
    return out


def _render_ocr_markdown(truth: dict, style: _Style, rng: random.Random) -> list[str]:
    """Markdown from an OCR or PDF converter: table 3 shattered into small tables with generic
    headers (数据1..数据6), its last rows under a header row that belongs to nothing, page
    footers between tables."""
    out = _before_table3(_render_markdown(truth, style, rng, shattered=False))
    out += [
        "## 三、收到和处理政府信息公开申请情况",
        "",
        "(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和)",
        "",
    ]
    generic = ["类别", *[f"数据{i}" for i in range(1, 7)], "总计"]
    wrong = [
        "项目",
        "本年新收件数",
        "上年结转件数",
        "予以公开",
        "部分公开",
        "不予公开",
        "结转下年度",
        "总计",
    ]
    rows = list(truth["table3"].items())
    tail = rng.randint(2, 5)
    open_table = False
    for i, (key, values) in enumerate(rows):
        group, label = _T3_PRINT[key]
        cells = [style.cell(v) or "0" for v in values]
        text = re.sub(r"^(\d)[.、]", r"\1. ", style.label(label))
        if i == len(rows) - tail:
            out += ["", _md_row(wrong), _md_row(["---"] * 8)]
            open_table = True
        elif not open_table and (group or key in ("new_received", "carried_over", "partial")):
            heading = group or label
            out += ["", f"### {heading}", _md_row(generic), _md_row(["---"] * 8)]
        if rng.random() < 0.05 and not open_table:
            out += ["", f"— {rng.randint(2, 9)} —", ""]
        roll = rng.random()
        if roll < 0.08 and len(text) > 8:
            # the label split over two cells
            out.append(_md_row([text[:8], text[8:], *cells]))
        elif roll < 0.14:
            # a cell that came out empty, its value floating on the line below
            lost = rng.randrange(7)
            out += [_md_row([text, *cells[:lost], "", *cells[lost + 1 :]]), cells[lost]]
        elif roll < 0.18 and not open_table:
            # a fragment without its label, the label a loose line above
            out += [text, "", _md_row(["---"] * 7), _md_row(cells)]
        else:
            out.append(_md_row([text, *cells]))
    out += [
        "",
        "## 四、政府信息公开行政复议、行政诉讼情况",
        "",
    ]
    t4 = [style.cell(v) or "0" for v in truth["table4"]]
    for n, name in enumerate(
        ("行政复议", "行政诉讼（未经复议直接起诉）", "行政诉讼（复议后起诉）")
    ):
        out += [f"### {name}", _md_row(list(_T4_HEADER[2:7])), _md_row(["---"] * 5)]
        out += [_md_row(t4[n * 5 : n * 5 + 5]), ""]
    return out


def _crawler_page(truth: dict, lines: list[str], rng: random.Random) -> list[str]:
    """A crawler's page text: its metadata fields, then the whole report on one line, with a
    group label printed again mid-table."""
    body = "".join(lines).replace("（四）无法提供", "三、本年度办理结果（四）无法提供")
    year = truth["year"]
    return [
        f"标题: {truth['agency']}{year}年度政府信息公开工作年度报告",
        f"发布时间: {year + 1}-01-{rng.randint(10, 31)} 15:22",
        "文号: ",
        "发布机构: ",
        "栏目: 政府信息公开年报",
        f"原文链接: https://www.example.gov.cn/zwgk/{year + 1}01/t{rng.randint(10**7, 10**8)}.htm",
        "==================== 正文 ====================",
        body,
    ]


def _render_tables(truth: dict, layout: str, style: _Style, rng: random.Random) -> list[str]:
    if layout in ("markdown", "shattered"):
        return _render_markdown(truth, style, rng, layout == "shattered")
    return {
        "pdf": _render_pdf,
        "layout": _render_layout,
        "html": _render_html,
        "tsv": _render_tsv,
        "crawler": _render_crawler,
        "crawler_page": _render_crawler,
        "office_layout": _render_office_layout,
        "office_text": _render_office_text,
        "html_cells": _render_html_cells,
        "ocr_markdown": _render_ocr_markdown,
    }[layout](truth, style, rng)


# ---------------------------------------------------------------------------------------------
# Whole reports


def _prose(truth: dict, rng: random.Random) -> tuple[list[str], list[str]]:
    n = truth["narrative"]
    head = [truth["agency"], f"{truth['year']}年政府信息公开工作年度报告"]
    if rng.random() < 0.3:
        head = [f"{truth['agency']}{truth['year']}年政府信息公开工作年度报告"]
    body = [
        "本报告依据《中华人民共和国政府信息公开条例》规定编制。",
        "一、总体情况",
        f"{truth['year']}年，我单位认真贯彻落实政务公开各项工作要求。",
        "（一）主动公开情况",
        "依法依规做好主动公开工作，及时更新政府信息公开目录。",
        "（二）依申请公开情况",
        f"全年共受理政府信息公开申请{n['applications_received']}件，"
        f"其中予以公开的{n['granted']}件。",
    ]
    tail = [
        "五、存在的主要问题及改进情况",
        "政务公开工作仍有不足，下一步将持续改进。",
        "六、其他需要报告的事项",
        "无。",
    ]
    return head + body, tail


@lru_cache(maxsize=1)
def _to_traditional() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("s2t").convert


def _traditional(text: str, rng: random.Random) -> str:
    text = _to_traditional()(text)
    out = []
    for ch in text:
        out.append(ch)
        if ch in _PINYIN and rng.random() < 0.5:
            out.append(f"({_PINYIN[ch]})")
    return "".join(out)


def generate(
    seed: int,
    layout: str | None = None,
    violation_rate: float = 0.05,
    traditional: bool | None = None,
) -> Synthetic:
    """One synthetic report from a seed; layout and Traditional script random unless given."""
    rng = random.Random(seed)
    truth, violated = _truth(rng, violation_rate)
    layout = layout or rng.choice(LAYOUTS)
    traditional = rng.random() < 0.1 if traditional is None else traditional
    style = _Style(rng, layout)
    head, tail = _prose(truth, rng)
    lines = [*head, *_render_tables(truth, layout, style, rng), *tail]
    if layout == "crawler_page":
        lines = _crawler_page(truth, lines, rng)
    text = "\n".join(lines) + "\n"
    if traditional:
        text = _traditional(text, rng)
    return Synthetic(
        text=text, truth=truth, layout=layout, traditional=traditional, violated=violated
    )


def truth_json(truth: dict) -> dict:
    """The truth with money as numbers, ready for JSON."""
    t2 = {
        item: {
            m: (
                int(v)
                if isinstance(v, Decimal) and v == v.to_integral_value()
                else float(v)
                if isinstance(v, Decimal)
                else v
            )
            for m, v in measures.items()
        }
        for item, measures in truth["table2"].items()
    }
    return {**truth, "table2": t2}


def compare(truth: dict, parsed: dict) -> tuple[list[str], list[str]]:
    """Cells parsed wrong and cells left null, as `table.row.column` names; a wrong metadata
    field (agency, year, format) counts as wrong."""
    wrong: list[str] = [k for k in ("agency", "year", "format") if parsed.get(k) != truth[k]]
    missing: list[str] = []

    def visit(name: str, want: object, got: object) -> None:
        if got is None:
            missing.append(name)
        elif isinstance(want, Decimal) or isinstance(got, float):
            if Decimal(str(got)) != Decimal(want):
                wrong.append(name)
        elif got != want:
            wrong.append(name)

    t3 = parsed.get("table3") or {}
    for row, values in truth["table3"].items():
        got_row = t3.get(row) or [None] * 7
        for col, want, got in zip(APPLICANT_COLUMNS, values, got_row, strict=True):
            visit(f"table3.{row}.{col}", want, got)
    t4 = parsed.get("table4") or [None] * 15
    for (channel, outcome), want, got in zip(TABLE4_CELLS, truth["table4"], t4, strict=True):
        visit(f"table4.{channel}.{outcome}", want, got)
    t2 = parsed.get("table2") or {}
    for item, measures in truth["table2"].items():
        for measure, want in measures.items():
            visit(f"table2.{item}.{measure}", want, (t2.get(item) or {}).get(measure))
    return wrong, missing
