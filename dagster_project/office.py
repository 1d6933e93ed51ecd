"""Reports made the way agencies make them: the national Word form filled in, exported to PDF by
an office suite, and turned to text by `pdftotext` (default order and `-layout`).

`xxgk office-check` fills the 2021 form with the truths of synthetic reports (and the gold of
the real reports in `tests/real/` that use the form's three （六） rows), converts each with
LibreOffice, parses both texts and counts cells right, null and wrong. It needs LibreOffice
(`soffice`) and poppler's `pdftotext` on the PATH; both are Debian packages.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
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


def fill_form(truth: dict, blank_zero: bool, template: Path = TEMPLATE) -> bytes:
    """The 2021 Word form with a report's title, statistics period, table 3 and table 4;
    zeros printed, or left blank as many agencies leave them."""
    with zipfile.ZipFile(template) as z:
        files = {name: z.read(name) for name in z.namelist()}
    xml = files["word/document.xml"].decode("utf-8")

    def cell(v: int) -> str:
        return "" if blank_zero and v == 0 else str(v)

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
    """The real reports on the three-row 2021 form, then synthetic ones, n in all."""
    from dagster_project.synth import generate

    found = []
    for gold in sorted(REAL.glob("*.json")):
        g = json.loads(gold.read_text())
        if g["format"] == "2021" and "other_misc" in g["table3"]:
            found.append((gold.stem, g))
    seed = 0
    while len(found) < n:
        t = generate(seed).truth
        if t["table3_variant"] == "three_other":
            found.append((f"synth-{seed}", t))
        seed += 1
    return found[:n]


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
        if (got.get("year"), got.get("format")) != (truth["year"], "2021") or not got.get("agency"):
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
    """Render n reports through the Word form, LibreOffice and pdftotext; score both texts."""
    from dagster_project.cli import parse_files

    work.mkdir(parents=True, exist_ok=True)
    made = []
    for name, truth in truths(n):
        for blank in (False, True):
            path = work / f"{name}{'-blank' if blank else ''}.docx"
            path.write_bytes(fill_form(truth, blank))
            made.append((path, truth))
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work)]
        + [str(p) for p, _ in made],
        check=True,
        capture_output=True,
    )
    scores = {}
    for mode, flags in MODES.items():
        texts = [
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
        score = Score()
        for (path, truth), got in zip(made, parse_files(texts), strict=True):
            score.add(path.stem, truth, got)
        scores[mode] = score
    return scores
