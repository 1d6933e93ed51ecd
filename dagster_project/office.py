"""Reports made the way agencies make them: the national Word form filled in and saved by an
office suite as .docx, exported to PDF and to HTML; the PDF also turned to text by `pdftotext`
(default order and `-layout`), as users of other tools do.

`xxgk office-check` fills the form (2021, or the 2019 form derived from it) with the truths of
the real reports in `tests/real/` and of synthetic reports of both forms, converts each with
LibreOffice, parses every rendering and counts cells right, null and wrong. It needs
LibreOffice (`soffice`) and poppler's `pdftotext` on the PATH; both are Debian packages.
"""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from dagster_project.paths import PROJECT_DIR

TEMPLATE = PROJECT_DIR / "tests" / "real" / "template-2021-form.docx"
REAL = PROJECT_DIR / "tests" / "real"
MODES = {"default": [], "layout": ["-layout"]}

_TABLE = re.compile(r"<w:tbl>.*?</w:tbl>", re.S)
_ROW = re.compile(r"<w:tr[ >].*?</w:tr>", re.S)
_CELL = re.compile(r"<w:tc>.*?</w:tc>", re.S)


def convert(files: list[Path], kind: str, outdir: Path) -> None:
    """Have LibreOffice save documents as `kind` (pdf, html, docx) into outdir. Each call has a
    profile of its own, so that calls running at once do not hand their work to each other."""
    with tempfile.TemporaryDirectory(prefix="xxgk-soffice-") as profile:
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--convert-to",
                kind,
                "--outdir",
                str(outdir),
                *map(str, files),
            ],
            check=True,
            capture_output=True,
        )


def available() -> bool:
    """Whether LibreOffice and pdftotext are on the PATH."""
    return bool(shutil.which("soffice") and shutil.which("pdftotext"))


def _fill_cells(row: str, values: list[str]) -> str:
    """A table row with its last len(values) cells holding these texts."""
    cells = list(_CELL.finditer(row))
    out, last = [], 0
    for m, text in zip(cells[-len(values) :], values, strict=True):
        cell = m.group()
        if text:
            run = f"<w:r><w:t>{escape(text)}</w:t></w:r>"
            cell = cell.replace("</w:p>", run + "</w:p>", 1)
        out += [row[last : m.start()], cell]
        last = m.end()
    return "".join(out) + row[last:]


# Table 2 of the 2019 form names its columns in words of its own (the form's structure is
# otherwise that of 2021 where tables 3 and 4 are concerned).
# The template splits some of its words over runs ("本年" "制发件数", "现行有效件" "数").
_WORDS_2019 = {
    r"制发件数": "新制作数量",
    r"本年废止件数": "本年新公开数量",
    r"现行有效件(</w:t>.*?<w:t(?: [^>]*)?>)数": r"对外公开总数量\1",
    r"行政规范性文件": "规范性文件",
    r"本年处理决定数量": "处理决定数量",
    r"本年收费金额（单位：万元）": "上一年项目数量",
}


def _single_other(t3_xml: str) -> str:
    """Table 3 of the 2019 form: one （六）其他处理 row, its label across both label columns,
    where the 2021 form has three."""
    rows = list(_ROW.finditer(t3_xml))
    first = next(i for i, m in enumerate(rows) if "（六）其他处理" in m.group())
    row = rows[first].group()
    cells = list(_CELL.finditer(row))
    label = cells[1].group()
    label = label.replace('<w:vMerge w:val="restart"/>', '<w:gridSpan w:val="2"/>')
    row = row[: cells[1].start()] + label + row[cells[2].end() :]
    return t3_xml[: rows[first].start()] + row + t3_xml[rows[first + 2].end() :]


# Table 2 of the 2021 form: the row's label → the truth's item and measures, in column order.
_T2_ROWS = {
    "规章": ("regulations", ("issued", "repealed", "in_force")),
    "行政规范性文件": ("normative_documents", ("issued", "repealed", "in_force")),
    "行政许可": ("licensing", ("decisions",)),
    "行政处罚": ("penalty", ("decisions",)),
    "行政强制": ("enforcement", ("decisions",)),
    "行政事业性收费": ("fees", ("amount_yuan",)),
}


def _fill_table2(xml: str, table2: dict, cell: Callable[[int], str]) -> str:
    """Table 2 of the 2021 form with a report's values (fees in 万元, as the form asks)."""
    parts, last = [], 0
    for m in _ROW.finditer(xml):
        label = "".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", m.group())).strip()
        item, measures = _T2_ROWS.get(label, ("", ()))
        values = table2.get(item) or {}
        if not measures or any(k not in values for k in measures):
            continue  # not a row of table 2, or a truth in other words (the real reports' gold)
        texts = [
            f"{values[k] / 10000:f}".rstrip("0").rstrip(".")
            if k == "amount_yuan"
            else cell(values[k])
            for k in measures
        ]
        parts += [xml[last : m.start()], _fill_cells(m.group(), texts)]
        last = m.end()
    return "".join(parts) + xml[last:]


def fill_form(
    truth: dict, blank_zero: bool, template: Path = TEMPLATE, form: str | None = None
) -> bytes:
    """The national Word form (2021, or 2019 as derived from it) with a report's title,
    statistics period, table 3 and table 4; zeros printed, or left blank as many agencies
    leave them. The form is the truth's own unless given."""
    with zipfile.ZipFile(template) as z:
        files = {name: z.read(name) for name in z.namelist()}
    xml = files["word/document.xml"].decode("utf-8")
    if (form or truth["format"]) == "2019":
        t3 = list(_TABLE.finditer(xml))[1]
        xml = xml[: t3.start()] + _single_other(t3.group()) + xml[t3.end() :]
        for old, new in _WORDS_2019.items():
            xml = re.sub(f">{old}<", f">{new}<", xml, flags=re.S)

    def cell(v: int) -> str:
        return "" if blank_zero and v == 0 else str(v)

    if truth["format"] == "2021" and (form or "2021") == "2021":
        t2 = list(_TABLE.finditer(xml))[0]
        xml = xml[: t2.start()] + _fill_table2(t2.group(), truth["table2"], cell) + xml[t2.end() :]
    tables = list(_TABLE.finditer(xml))
    t3, t4 = tables[1], tables[2]
    t3_xml = t3.group()
    rows = list(_ROW.finditer(t3_xml))
    parts, last = [], 0
    for m, values in zip(rows[3:], truth["table3"].values(), strict=True):
        parts += [t3_xml[last : m.start()], _fill_cells(m.group(), [cell(v) for v in values])]
        last = m.end()
    t3_new = "".join(parts) + t3_xml[last:]
    t4_xml = t4.group()
    r4 = list(_ROW.finditer(t4_xml))[3]
    t4_new = (
        t4_xml[: r4.start()]
        + _fill_cells(r4.group(), [cell(v) for v in truth["table4"]])
        + t4_xml[r4.end() :]
    )
    xml = xml[: t3.start()] + t3_new + xml[t3.end() : t4.start()] + t4_new + xml[t4.end() :]
    agency, year = escape(truth["agency"]), truth["year"]
    xml = xml.replace(
        "政府信息公开工作年度报告格式模板", f"{agency}{year}年政府信息公开工作年度报告"
    )
    xml = xml.replace(
        "（文字描述）",
        f"本报告所列数据统计期限自{year}年1月1日至{year}年12月31日。{year}年，{agency}"
        "认真贯彻落实《中华人民共和国政府信息公开条例》。",
        1,
    )
    files["word/document.xml"] = xml.encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def truths(n: int) -> list[tuple[str, dict]]:
    """The real reports on either form's table 3, then synthetic ones of both forms in turn,
    n in all."""
    from dagster_project.synth import generate

    found = []
    for gold in sorted(REAL.glob("*.json")):
        g = json.loads(gold.read_text())
        if ("other" if g["format"] == "2019" else "other_misc") in g["table3"]:
            found.append((gold.stem, g))
    seed = 0
    while len(found) < n:
        t = generate(seed).truth
        if fits_form(t):
            found.append((f"synth-{seed}", t))
        seed += 1
    return found[:n]


def fits_form(truth: dict) -> bool:
    """Whether a synthetic truth has the table-3 rows its format's form prints."""
    return truth["table3_variant"] == (
        "single_other" if truth["format"] == "2019" else "three_other"
    )


@dataclass
class Score:
    """Cells right, null and wrong over some reports, with the wrong ones named."""

    right: int = 0
    null: int = 0
    wrong: int = 0
    meta_wrong: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, name: str, truth: dict, got: dict) -> None:
        """Compare one parsed report with its truth."""
        if (got.get("year"), got.get("format")) != (truth["year"], truth["format"]) or not got.get(
            "agency"
        ):
            self.meta_wrong += 1
        cells = [
            (f"{k}[{i}]", v, ((got.get("table3") or {}).get(k) or [None] * 7)[i])
            for k, values in truth["table3"].items()
            for i, v in enumerate(values)
        ] + [
            (f"table4[{i}]", v, (got.get("table4") or [None] * 15)[i])
            for i, v in enumerate(truth["table4"])
        ]
        for where, want, value in cells:
            if value is None:
                self.null += 1
            elif value == want:
                self.right += 1
            else:
                self.wrong += 1
                self.examples.append(f"{name} {where}: {value} for {want}")

    def line(self, label: str) -> str:
        total = self.right + self.null + self.wrong or 1
        return (
            f"{label}: {100 * self.right / total:.1f}% of {total} cells right, "
            f"{100 * self.null / total:.1f}% null, {self.wrong} wrong; "
            f"metadata wrong in {self.meta_wrong}"
        )


def check(n: int, work: Path) -> dict[str, Score]:
    """Render n reports through the Word form and LibreOffice (as .docx, .pdf and .html), and
    score each as xxgk reads the file, and the PDF as pdftotext's two texts."""
    from dagster_project.cli import parse_files

    work.mkdir(parents=True, exist_ok=True)
    made = []
    for name, truth in truths(n):
        for blank in (False, True):
            path = work / f"{name}{'-blank' if blank else ''}.docx"
            path.write_bytes(fill_form(truth, blank))
            made.append((path, truth))
    for kind in ("pdf", "html"):
        convert([p for p, _ in made], kind, work)
    readings: dict[str, list[tuple[str, bytes]]] = {
        kind: [(p.name, p.with_suffix(f".{kind}").read_bytes()) for p, _ in made]
        for kind in ("docx", "pdf", "html")
    }
    for mode, flags in MODES.items():
        readings[f"pdftotext {mode}"] = [
            (
                p.stem + ".txt",
                subprocess.run(
                    ["pdftotext", *flags, str(p.with_suffix(".pdf")), "-"],
                    check=True,
                    capture_output=True,
                ).stdout,
            )
            for p, _ in made
        ]
    scores = {}
    for reading, files in readings.items():
        score = Score()
        for (path, truth), got in zip(made, parse_files(files), strict=True):
            score.add(path.stem, truth, got)
        scores[reading] = score
    return scores


# ---------------------------------------------------------------------------------------------
# The form as a web page, as a site publishes a Word document: saved as HTML by the office
# suite (MsoNormal paragraphs, <o:p>, spans, merged cells as rowspan/colspan) inside the site's
# page chrome (navigation, scripts, a publication date that is not the reporting year).

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PAGE = """<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN">
<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{title}</title>
<script type="text/javascript">var _hmt = _hmt || []; var pubDate = "{published}";</script>
<style>.nav li {{ float: left; }} p.MsoNormal {{ margin: 0; font-family: 仿宋_GB2312; }}</style>
</head><body>
<div class="top"><div class="logo">{site}</div><div class="search"><input type="text"
 value="请输入关键字"><button>搜索</button></div></div>
<nav class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/hdjl/">互动交流</a></li><li><a href="/bsfw/">办事服务</a></li></ul></nav>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a>
 &gt; 年度报告</div>
<div class="article"><h1>{title}</h1>
<div class="info">发布时间：{published}&nbsp;&nbsp;来源：{site}&nbsp;&nbsp;浏览次数：{views}</div>
<div class="TRS_Editor"><div class="WordSection1">
{body}
</div></div></div>
<div class="footer">主办单位：{site}办公室&nbsp;&nbsp;网站标识码：{code}</div>
</body></html>
"""


def _html_runs(text: str, rng: random.Random) -> str:
    """Text as Word writes it: in spans, cut where its runs were cut; an empty paragraph is
    a no-break space."""
    if not text:
        return "&nbsp;<o:p></o:p>"
    cut = rng.randrange(1, len(text)) if len(text) > 3 and rng.random() < 0.3 else len(text)
    pieces = [text[:cut], text[cut:]] if cut < len(text) else [text]
    spans = "".join(f'<span lang="EN-US">{escape(p)}</span>' for p in pieces)
    return spans + "<o:p></o:p>"


def _html_table(table: object, rng: random.Random) -> str:
    """A Word table as HTML: gridSpan as colspan, vertically merged cells as one rowspan."""
    grid: list[list[tuple[int, int, object]]] = []  # per row: (column, span, cell)
    for tr in table.findall(f"{_W}tr"):
        col, row = 0, []
        for tc in tr.findall(f"{_W}tc"):
            span_el = tc.find(f"{_W}tcPr/{_W}gridSpan")
            span = int(span_el.get(f"{_W}val")) if span_el is not None else 1
            row.append((col, span, tc))
            col += span
        grid.append(row)

    def merge(tc: object) -> str | None:
        el = tc.find(f"{_W}tcPr/{_W}vMerge")
        return None if el is None else el.get(f"{_W}val", "continue")

    out = ['<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0">']
    for r, row in enumerate(grid):
        out.append("<tr>")
        for col, span, tc in row:
            if merge(tc) == "continue":
                continue
            rowspan = 1
            if merge(tc) == "restart":
                for below in grid[r + 1 :]:
                    if not any(c == col and merge(t) == "continue" for c, _, t in below):
                        break
                    rowspan += 1
            text = "".join(t.text or "" for t in tc.iter(f"{_W}t"))
            attrs = (f' colspan="{span}"' if span > 1 else "") + (
                f' rowspan="{rowspan}"' if rowspan > 1 else ""
            )
            out.append(f'<td{attrs}><p class="MsoNormal">{_html_runs(text, rng)}</p></td>')
        out.append("</tr>")
    out.append("</table>")
    return "\n".join(out)


def word_html(docx: bytes, truth: dict, seed: int = 0, charset: str = "utf-8") -> bytes:
    """A filled form as a site's web page (see above), in this character set."""
    from lxml import etree

    rng = random.Random(seed)
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        body = etree.fromstring(z.read("word/document.xml")).find(f"{_W}body")
    parts = []
    for child in body:
        if child.tag == f"{_W}tbl":
            parts.append(_html_table(child, rng))
        elif child.tag == f"{_W}p":
            text = "".join(t.text or "" for t in child.iter(f"{_W}t"))
            parts.append(f'<p class="MsoNormal">{_html_runs(text, rng)}</p>')
    title = f"{truth['agency']}{truth['year']}年政府信息公开工作年度报告"
    page = _PAGE.format(
        charset=charset,
        title=escape(title),
        site=escape(truth["agency"]),
        published=f"{truth['year'] + 1}-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}",
        views=rng.randint(10, 9999),
        code=rng.randint(10**9, 10**10 - 1),
        body="\n".join(parts),
    )
    return page.encode(charset, errors="xmlcharrefreplace")
