"""The Dagster UI of `make dev` in a real browser (Chromium driven by Playwright): the asset
graph, a check's link to its quality report, and the quarantine table, each found rendered.
Screenshots are kept under build/artefacts/browser/."""

from __future__ import annotations

import os
import shutil
from contextlib import AbstractContextManager, suppress
from pathlib import Path

import pytest

from dagster_project.cli import run_pipeline
from dagster_project.parsing.identities import RULE_GLOSSARY
from dagster_project.paths import DataPaths
from dagster_project.quality_docs import DOCS_URL_ENV
from tests.test_dev import free_port, graphql, process_group, wait

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("heavy")]
REPO = Path(__file__).resolve().parents[1]
ARTEFACTS = REPO / "build" / "artefacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Generous: the first page of the UI compiles its assets, on a busy machine too.
PAGE_MS = 180_000


def make_dev(data_dir: DataPaths, port: int, docs_port: int) -> AbstractContextManager[None]:
    """`make dev` on the data folder and the given ports until the block ends."""
    return process_group(
        ["make", "--no-print-directory", "dev", f"DEV_ARGS=--port {port} --docs-port {docs_port}"],
        cwd=REPO,
        env={**os.environ, "XXGK_DATA_DIR": str(data_dir.root)},
    )


def dismiss_welcome(page: object) -> None:
    """The UI greets a new browser with a community dialog; it covers the page."""
    skip = page.get_by_role("button", name="Skip")
    with suppress(Exception):
        skip.click(timeout=10_000)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian package `chromium`)")
def test_the_ui_shows_the_graph_the_quality_report_and_the_quarantine(
    data_dir: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect, sync_playwright

    for year in ("2023", "2024"):
        shutil.rmtree(data_dir.raw / year)
    (data_dir.raw / "2022" / "scan-cut.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage")
    port, docs_port = free_port(), free_port()
    monkeypatch.setenv(DOCS_URL_ENV, f"http://127.0.0.1:{docs_port}")
    run_pipeline(data_dir, log_level="ERROR")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    ui = f"http://127.0.0.1:{port}"

    with make_dev(data_dir, port, docs_port), sync_playwright() as playwright:
        wait(
            lambda: graphql(port, "{ assetNodes { id } }")["assetNodes"],
            300,
            "the UI did not list the assets",
        )
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.set_default_timeout(PAGE_MS)

        # the asset graph: one box per stage, in the order data flows
        page.goto(f"{ui}/asset-groups")
        dismiss_welcome(page)
        for group in ("ingest", "staging", "dimensions_facts", "marts_reports", "publish"):
            expect(page.get_by_text(group, exact=True).first).to_be_visible()
        page.screenshot(path=ARTEFACTS / "asset-graph.png")

        # the identities check on dim_report links its quality report, served over http
        page.goto(f"{ui}/assets/dim_report?view=checks")
        page.get_by_text("report_identities", exact=True).first.click()
        link = page.locator(
            f'a[href="http://127.0.0.1:{docs_port}/quality/report_identities.html"]'
        )
        expect(link.first).to_be_visible()
        page.screenshot(path=ARTEFACTS / "check.png")
        page.goto(link.first.get_attribute("href"))
        expect(page.get_by_text("T3-2 broken in 温州市统计局 2020").first).to_be_visible()
        expect(page.get_by_text(RULE_GLOSSARY["T3-2"][2])).to_be_visible()
        rows = page.locator("tr", has_text="温州市统计局")
        expect(rows).to_have_count(2)  # natural_person and total, a line each
        page.screenshot(path=ARTEFACTS / "quality-report.png", full_page=True)

        # the quarantine asset's table: the bad file, its stage and why
        page.goto(f"{ui}/assets/quarantine?view=events&partition=2022")
        dismiss_welcome(page)
        expect(page.get_by_text("2022/scan-cut.pdf").first).to_be_visible()
        expect(page.get_by_text("truncated PDF", exact=False).first).to_be_visible()
        page.screenshot(path=ARTEFACTS / "quarantine.png")
        browser.close()
