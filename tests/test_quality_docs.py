"""The quality report: pages that render offline, one line per failing row, every rule in
words, served over http."""

from __future__ import annotations

import csv
import re
import socket
import urllib.request
from pathlib import Path

import pytest

from dagster_project import quality, quality_docs
from dagster_project.parsing.identities import RULE_GLOSSARY


def validation(findings: list[dict]) -> quality.Validation:
    return quality.Validation(
        suite="report_identities",
        ledger_rows=40,
        reports=3,
        rules={
            rule: {"expectations": 1, "failed": 0, "rows": 10, "failing_rows": 0}
            for rule in ("T3-1", "T3-2", "T3-3", "T4-1")
        },
        findings=findings,
        shares={},
        escalated=[],
    )


def finding(agency: str, group: str, expected: int, reported: int) -> dict:
    return {
        "rule_id": "T3-2",
        "severity": "warn",
        "expectation": "the disposition rows of table 3 sum to its total row",
        "report_id": f"2020-{agency}",
        "agency": agency,
        "year": 2020,
        "file": f"2020/{agency}.txt",
        "group_key": group,
        "expected": expected,
        "reported": reported,
        "source_line": 81,
    }


def rows_of(page: str) -> list[str]:
    body = page.split("<h2>Failing rows", 1)[1]
    return re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1])


def test_each_failing_row_is_a_line_and_each_rule_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quality_docs, "PAGE_ROWS", 2)
    findings = [
        finding("温州市统计局", "natural_person", 3, 7),
        finding("温州市统计局", "total", 3, 7),
        finding("<script>局", "total", 1, 2),
    ]
    suite = quality.Suite.load("report_identities")
    page = quality_docs.write(suite, validation(findings), tmp_path).read_text(encoding="utf-8")
    # no resource from elsewhere: the page renders offline
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    # names are escaped (this one stands in the summary; its row only in the CSV)
    assert "<script>" not in page and "&lt;script&gt;局 2020" in page
    lines = rows_of(page)
    assert len(lines) == 2
    assert all("温州市统计局" in line and "T3-2" in line for line in lines)
    assert "natural_person" in lines[0] and "total" in lines[1]
    assert "… and 1 more in the CSV" in page
    for rule in ("T3-1", "T3-2", "T3-3", "T4-1"):
        _where, en, zh = RULE_GLOSSARY[rule]
        assert quality_docs._e(en) in page and zh in page
    with (tmp_path / "quality" / "report_identities.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["agency"] for r in rows] == ["温州市统计局", "温州市统计局", "<script>局"]
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="quality/report_identities.html"' in index and "warning" in index


def test_a_suite_that_passes_says_so(tmp_path: Path) -> None:
    suite = quality.Suite.load("report_identities")
    page = quality_docs.write(suite, validation([]), tmp_path).read_text(encoding="utf-8")
    assert '<b class="passed">passed</b>' in page and "<p>None.</p>" in page


def test_the_docs_are_served_over_http(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suite = quality.Suite.load("report_identities")
    quality_docs.write(suite, validation([finding("温州市统计局", "total", 3, 7)]), tmp_path)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = quality_docs.serve(tmp_path, "127.0.0.1", port)
    try:
        monkeypatch.setenv(quality_docs.DOCS_URL_ENV, f"http://127.0.0.1:{port}")
        url = quality_docs.docs_url("quality/report_identities.html")
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
            assert "温州市统计局" in response.read().decode("utf-8")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            assert "report_identities" in response.read().decode("utf-8")
    finally:
        server.shutdown()
        server.server_close()
