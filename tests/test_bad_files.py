"""A folder of bad files, made by code, through the real pipeline (Dagster, DuckDB, dbt and the
checks): every file is staged or quarantined with its reason, nothing stops the batch and
nothing is made up."""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from dagster_project.cli import prepare_dagster_home, run_pipeline
from dagster_project.office import fill_form, fits_form
from dagster_project.paths import DATA_DIR_ENV, DataPaths
from dagster_project.synth import generate
from dagster_project.warehouse import connect
from tests.conftest import SAMPLE_RAW

HOSTILE = "某局'; drop table stg_reports; --"
GUANGZHOU = SAMPLE_RAW / "2020" / "guangzhou-municipal-government-2020.txt"
HUAIAN = SAMPLE_RAW / "2024" / "huaian-municipal-government-2024.txt"


REAL = Path(__file__).resolve().parent / "real"
NEWS_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>沭阳县人民政府 - 通知公告</title>
<script>var site = {year: 2023};</script><style>.nav li{float:left}</style></head>
<body><div class="top">沭阳县人民政府 欢迎您</div>
<nav><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li></ul></nav>
<div class="list"><h2>通知公告</h2><ul>
<li><a href="/a/1.html">关于开展2023年度安全生产检查的通知</a><span>2023-03-05</span></li>
<li><a href="/a/2.html">关于调整部分公交线路的公告</a><span>2023-02-18</span></li>
</ul></div><div class="footer">主办单位：沭阳县人民政府办公室</div></body></html>
"""


def image_pdf() -> bytes:
    """A PDF of one blank scanned page: an image and no text."""
    buffer = BytesIO()
    Image.new("L", (600, 800), 255).save(buffer, "PDF")
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    """A one-page PDF encrypted with a user password (standard security handler, RC4)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <"
        + b"11" * 32
        + b"> /U <"
        + b"22" * 32
        + b"> /P -4 >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s><%s>] >>\n" % (
        len(objects) + 1,
        b"ab" * 16,
        b"ab" * 16,
    )
    return out + b"startxref\n%d\n%%%%EOF\n" % xref


def form_truth(seed: int) -> dict:
    """The first synthetic report from this seed on that the national Word form can hold."""
    return next(t for s in range(seed, seed + 100) if fits_form(t := generate(s).truth))


def synthetic(seed: int) -> str:
    return generate(seed, layout="pdf", violation_rate=0.0, traditional=False).text


def write_corpus(raw: Path) -> dict[str, str]:
    """The bad files under raw/2020/, raw/2023/ and raw/2024/; returns path → what must become
    of it."""
    y20, y23, y24 = raw / "2020", raw / "2023", raw / "2024"
    for folder in (y20, y23, y24):
        folder.mkdir(parents=True)
    rng = random.Random(7)
    guangzhou = GUANGZHOU.read_text(encoding="utf-8")
    fates: dict[str, str] = {}

    def put(folder: Path, name: str, data: bytes, fate: str) -> None:
        (folder / name).write_bytes(data)
        fates[f"{folder.name}/{name}"] = fate

    put(y23, "empty.txt", b"", "quarantined: empty file")
    put(y23, "scan.txt", b"%PDF-1.7\n" + rng.randbytes(5000), "quarantined: truncated PDF")
    # documents as a crawl downloads them: two real ones and a filled Word form load; a scan,
    # an encrypted, a cut and a broken PDF, a news page and a .doc each get their reason
    put(y23, "002.pdf", (REAL / "002.pdf").read_bytes(), "staged")
    put(y24, "001.pdf", (REAL / "001.pdf").read_bytes(), "staged")
    put(y24, "003.pdf", (REAL / "003.pdf").read_bytes(), "staged")
    put(y23, "006.shtml", (REAL / "006.html").read_bytes(), "staged")
    put(y23, "form.docx", fill_form(form_truth(117), blank_zero=True), "staged")
    put(y23, "scanned.pdf", image_pdf(), "quarantined: scanned: no text layer")
    put(y23, "encrypted.pdf", encrypted_pdf(), "quarantined: encrypted PDF")
    cut = (REAL / "003.pdf").read_bytes()
    put(y23, "cut.pdf", cut[: len(cut) // 2], "quarantined: truncated PDF")
    put(
        y23,
        "broken.pdf",
        b"%PDF-1.7\n" + rng.randbytes(5000) + b"\n%%EOF\n",
        "quarantined: broken PDF",
    )
    put(y23, "news.html", NEWS_PAGE.encode(), "quarantined: not a report")
    put(
        y23,
        "report.doc",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.randbytes(5000),
        "quarantined: Word 97-2003",
    )
    put(y23, "image.txt", b"\x89PNG\r\n\x1a\n\x00" + rng.randbytes(5000), "quarantined: binary")
    for i, encoding in enumerate(("gb18030", "gbk", "utf-16-le", "utf-16-be", "utf-16")):
        put(y23, f"enc-{encoding}.txt", synthetic(100 + i).encode(encoding), "staged")
    put(y23, "enc-utf-16-le-bom.txt", b"\xff\xfe" + synthetic(110).encode("utf-16-le"), "staged")
    big5 = generate(111, layout="pdf", violation_rate=0.0, traditional=True).text
    put(y23, "enc-big5.txt", big5.encode("big5", errors="ignore"), "staged")
    mixed = synthetic(112).splitlines()
    put(
        y23,
        "mixed-encodings.txt",
        "\n".join(mixed[:3]).encode("utf-8")
        + b"\n"
        + "\n".join(mixed[3:6]).encode("gb18030")
        + b"\n"
        + "\n".join(mixed[6:]).encode("utf-8"),
        "staged",
    )
    text = synthetic(113)
    put(y23, "truncated.txt", text[: text.index("申请人情况") + 300].encode(), "staged")
    put(
        y23,
        "big.txt",
        b"\xe5\x85\xac\xe5\xbc\x80 12\n" * (50 * 2**20 // 10),
        "quarantined: too large",
    )
    put(y23, "million-lines.txt", b"1\n" * 1_000_000, "quarantined: too many lines")
    put(y23, "long-line.txt", b"7" * 1_000_000, "quarantined: line too long")
    zeros = "\n".join(
        line if "年" in line else re.sub(r"\d+", "0", line) for line in synthetic(114).splitlines()
    )
    put(y23, "zeros.txt", zeros.encode(), "staged")
    put(y23, "报告 \"引号\" 'single'.txt", synthetic(115).encode(), "staged")
    put(
        y23,
        "not-a-report.txt",
        "会议通知\n请各单位按时参加。\n".encode(),
        "quarantined: not a report",
    )
    # the 2024 report filed under 2023: staged, with the disagreement recorded
    put(y23, "huaian-misfiled.txt", HUAIAN.read_bytes(), "staged")
    # 广州市人民政府 2020 twice under two names, and once more with one cell changed
    put(y20, "guangzhou.txt", guangzhou.encode(), "staged")
    put(y20, "guangzhou copy.txt", guangzhou.encode(), "staged")
    changed = guangzhou.replace("18291", "18292", 1)
    assert changed != guangzhou
    put(y20, "guangzhou-changed.txt", changed.encode(), "staged")
    # an agency name written to attack SQL, given by the manifest
    put(y20, "hostile.txt", synthetic(116).encode(), "staged")
    with (raw / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["path", "agency", "year", "source_url"])
        writer.writerow(["2020/hostile.txt", HOSTILE, "", ""])
        writer.writerow(["../../etc/passwd", "x", "", ""])
    return fates


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DataPaths, dict, dict]]:
    root = tmp_path_factory.mktemp("bad") / "data"
    fates = write_corpus(root / "raw")
    paths = DataPaths.resolve(root)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DATA_DIR_ENV, str(root))
        mp.setenv("DAGSTER_HOME", str(prepare_dagster_home(paths)))
        results = run_pipeline(paths, log_level="ERROR")
        yield paths, fates, results
    shutil.rmtree(root, ignore_errors=True)


def rows(paths: DataPaths, sql: str, *params: object) -> list[tuple]:
    with connect(paths.warehouse, read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_every_file_has_its_fate_and_reason(bad: tuple[DataPaths, dict, dict]) -> None:
    paths, fates, results = bad
    assert all(r.success for year, r in results.items() if year != "warehouse")
    found = {
        path: (status, reason)
        for path, status, reason in rows(paths, "select path, status, reason from raw_files")
    }
    assert set(found) == set(fates)  # nothing dropped, nothing from outside raw/
    for path, fate in fates.items():
        status, reason = found[path]
        want_status, _, want_reason = fate.partition(": ")
        assert status == want_status, (path, status, reason)
        if want_reason:
            assert reason.startswith(want_reason), (path, reason)
    quarantined = rows(paths, "select path, stage, reason from quarantine")
    assert {p for p, *_ in quarantined} == {p for p, f in fates.items() if f != "staged"}
    assert all(reason for *_, reason in quarantined)


def test_encodings_are_named(bad: tuple[DataPaths, dict, dict]) -> None:
    paths, _, _ = bad
    encodings = dict(rows(paths, "select path, encoding from raw_files"))
    assert encodings["2023/enc-gb18030.txt"] == "gb18030"
    assert encodings["2023/enc-utf-16-be.txt"] == "utf-16-be"
    assert encodings["2023/enc-utf-16-le-bom.txt"] == "utf-16-le-bom"
    assert encodings["2023/enc-big5.txt"] == "big5"
    assert encodings["2023/mixed-encodings.txt"] == "utf-8+gb18030"
    kinds = dict(rows(paths, "select path, kind from raw_files"))
    assert kinds["2023/002.pdf"] == "pdf" and kinds["2023/form.docx"] == "docx"
    assert kinds["2023/006.shtml"] == kinds["2023/news.html"] == "html"
    assert kinds["2023/report.doc"] == "doc" and kinds["2023/enc-big5.txt"] == "text"
    # the real PDF's cells keep their page
    pages = rows(
        paths,
        "select min(c.page), max(c.page) from stg_table3_cells c join raw_files f "
        "using (report_id) where f.path = '2023/002.pdf'",
    )
    assert pages == [(3, 4)]


def test_truncated_and_zero_reports(bad: tuple[DataPaths, dict, dict]) -> None:
    paths, _, _ = bad
    # cut in the middle of table 3: what was printed is read, the rest is null with issues
    (truncated,) = rows(
        paths,
        "select r.report_id, r.table4_present, r.table3_present from stg_reports r "
        "join raw_files f using (report_id) where f.path = '2023/truncated.txt'",
    )
    assert truncated[1] is False
    codes = {
        c
        for (c,) in rows(
            paths, "select code from stg_parse_issues where report_id = ?", truncated[0]
        )
    }
    assert codes & {"table_missing", "cell_missing", "cell_count"}
    invented = rows(
        paths,
        "select count(*) from stg_table3_cells where report_id = ? and state = 'missing' "
        "and value is not null",
        truncated[0],
    )
    assert invented == [(0,)]
    # all zeros: read as zeros, the identities hold
    (zero,) = rows(
        paths,
        "select max(value), count(*) from stg_table3_cells c join raw_files f using (report_id) "
        "where f.path = '2023/zeros.txt'",
    )
    assert zero == (0, 161)


def test_copies_conflicts_and_misfiled_years(bad: tuple[DataPaths, dict, dict]) -> None:
    paths, _, _ = bad
    pair = dict(
        rows(
            paths,
            "select path, duplicate_of from raw_files where path in "
            "('2020/guangzhou copy.txt', '2020/guangzhou.txt')",
        )
    )
    # one content, two names: parsed once, the second path points at the first
    assert pair == {
        "2020/guangzhou copy.txt": None,
        "2020/guangzhou.txt": "2020/guangzhou copy.txt",
    }
    claims = rows(
        paths,
        "select report_id, has_conflict, claims, is_certified from dim_report "
        "where agency = '广州市人民政府' and year = 2020 order by claim_rank",
    )
    assert len(claims) == 2 and all(c[1] and c[2] == 2 for c in claims)
    assert sum(c[3] for c in claims) <= 1  # at most one certified
    misfiled = rows(
        paths,
        "select i.code from stg_parse_issues i join raw_files f using (report_id) "
        "where f.path = '2023/huaian-misfiled.txt'",
    )
    assert ("year_folder_mismatch",) in misfiled


def test_hostile_names_are_data_not_sql(bad: tuple[DataPaths, dict, dict]) -> None:
    paths, _, _ = bad
    assert rows(paths, "select count(*) from stg_reports where agency = ?", HOSTILE) == [(1,)]
    assert rows(paths, "select count(*) from dim_report where agency = ?", HOSTILE) == [(1,)]
    tables = {r[0] for r in rows(paths, "select table_name from information_schema.tables")}
    assert {"stg_reports", "stg_table3_cells", "dim_report"} <= tables
    (quoted,) = rows(
        paths, "select status from raw_files where path = ?", "2023/报告 \"引号\" 'single'.txt"
    )
    assert quoted == ("staged",)


ORIGINALS = {
    "2023/002.pdf": "002",
    "2023/006.shtml": "006",
    "2024/001.pdf": "001",
    "2024/003.pdf": "003",
}


@pytest.mark.parametrize("path", ORIGINALS)
def test_originals_load_as_their_gold(bad: tuple[DataPaths, dict, dict], path: str) -> None:
    paths, _, _ = bad
    gold = json.loads((REAL / f"{ORIGINALS[path]}.json").read_text())
    (report,) = rows(
        paths,
        "select r.report_id, r.agency, r.report_year, r.format from stg_reports r "
        "join raw_files f using (report_id) where f.path = ?",
        path,
    )
    assert report[1] == gold["agency"] and report[2:] == (gold["year"], gold["format"])
    cells = rows(
        paths,
        "select row_key, col_order, value, page from stg_table3_cells where report_id = ?",
        report[0],
    )
    got: dict[str, list] = {}
    for key, _col, value, _page in sorted(cells, key=lambda c: c[1]):
        got.setdefault(key, []).append(value)
    assert got == gold["table3"]
    t4 = rows(
        paths,
        "select value, page from stg_table4_cells where report_id = ? order by cell_order",
        report[0],
    )
    assert [v for v, _ in t4] == gold["table4"]
    # pages on every cell of the PDFs, none on the web page's
    pages = {page for *_, page in cells} | {page for _, page in t4}
    assert (None in pages) == path.endswith(".shtml") and len(pages) >= 1
