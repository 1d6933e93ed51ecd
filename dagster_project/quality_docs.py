"""xxgk's quality report: one self-contained HTML page per suite (each rule with its meaning in
English and Chinese, each failing row on its own line) and a CSV of every failing row, under
`<data>/docs/quality/`, with an index page at `<data>/docs/index.html`.

The pages carry their styles inline and load nothing else, so they render offline; `xxgk dev`
serves the docs folder over http next to the Dagster UI, and the checks link their page there.
Great Expectations' own Data Docs stay under `docs/expectations/<suite>/` (they fetch their
styles from CDNs, so offline they render unstyled).
"""

from __future__ import annotations

import csv
import functools
import html
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

from dagster_project.parsing.identities import RULE_GLOSSARY
from dagster_project.quality import Suite, Validation

# Where the docs are served: `xxgk dev` sets it to its docs server; the default is its port.
DOCS_URL_ENV = "XXGK_DOCS_URL"
DOCS_PORT = 3001
# A page lists this many failing rows; the CSV beside it holds all of them.
PAGE_ROWS = 2_000
VERDICTS = {None: "passed", "warn": "warning", "error": "error"}

STYLE = """
body { font: 15px/1.45 system-ui, "Noto Sans CJK SC", sans-serif; margin: 2em; color: #1d2330; }
h1 { font-size: 1.5em; margin-bottom: .2em; } h2 { font-size: 1.15em; margin-top: 2em; }
.meta { color: #5b6475; } .passed { color: #1a7f37; } .warning { color: #9a6700; }
.error { color: #cf222e; }
table { border-collapse: collapse; margin-top: .5em; }
th, td { border: 1px solid #d0d7de; padding: .25em .6em; text-align: left; vertical-align: top; }
td:first-child { white-space: nowrap; }
th { background: #f3f5f8; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
"""


def docs_url(relative: str) -> str:
    """The http address of a page of the docs folder, on `xxgk dev`'s docs server."""
    base = os.environ.get(DOCS_URL_ENV) or f"http://127.0.0.1:{DOCS_PORT}"
    return f"{base.rstrip('/')}/{relative}"


def write(suite: Suite, result: Validation, docs: Path) -> Path:
    """Writes the suite's page, its CSV of failing rows and its summary under `docs/quality/`,
    then the index of every suite's page; returns the page's path."""
    folder = docs / "quality"
    folder.mkdir(parents=True, exist_ok=True)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    columns = ["rule_id", "severity", *(c for c in suite.index if c != "rule_id"), "expectation"]
    with _replacing(folder / f"{suite.name}.csv", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(result.findings)
    page = folder / f"{suite.name}.html"
    with _replacing(page) as handle:
        handle.write(render(suite, result, when, columns))
    summary = {
        "suite": suite.name,
        "description": suite.description,
        "verdict": VERDICTS[result.severity],
        "summary": result.summary(),
        "reports": result.reports,
        "failing_rows": len(result.findings),
        "checked_at": when,
    }
    with _replacing(folder / f"{suite.name}.json") as handle:
        json.dump(summary, handle, ensure_ascii=False)
    write_index(docs)
    return page


def render(suite: Suite, result: Validation, when: str, columns: list[str]) -> str:
    """The suite's page: its verdict, its rules in words and its failing rows."""
    verdict = VERDICTS[result.severity]
    rules = []
    for rule_id, stats in sorted(result.rules.items()):
        _where, en, zh = RULE_GLOSSARY.get(rule_id, ("", "", ""))
        said = sorted({e.description for e in suite.expectations if e.rule_id == rule_id})
        rules.append(
            _cells(
                [rule_id, en, zh, "; ".join(said), stats["rows"], stats["failing_rows"]],
                status="error" if rule_id in result.escalated else None,
            )
        )
    findings = [_cells([f.get(c) for c in columns]) for f in result.findings[:PAGE_ROWS]]
    more = len(result.findings) - PAGE_ROWS
    parts = [
        f"<h1>{_e(suite.name)}</h1>",
        f'<p class="meta">{_e(suite.description)}</p>',
        f'<p><b class="{verdict}">{verdict}</b>: {_e(result.summary())}</p>',
        f'<p class="meta">{result.reports} reports, {result.ledger_rows} ledger rows, '
        f"checked {_e(when)}. All failing rows: "
        f'<a href="{_e(suite.name)}.csv">{_e(suite.name)}.csv</a>. '
        f'Great Expectations Data Docs: <a href="../expectations/{_e(suite.name)}/index.html">'
        "expectations/</a> (styles from the network).</p>",
        *(f'<p class="error">{_e(error)}</p>' for error in result.errors),
        "<h2>Rules · 规则</h2>",
        _table(["rule", "meaning", "含义", "expectation", "rows checked", "rows failing"], rules),
        f"<h2>Failing rows ({len(result.findings)})</h2>",
        _table(columns, findings) if findings else "<p>None.</p>",
    ]
    if more > 0:
        parts.append(f"<p>… and {more} more in the CSV.</p>")
    return _page(f"{suite.name} · xxgk quality", "\n".join(parts))


def write_index(docs: Path) -> Path:
    """`docs/index.html`: every suite's verdict and summary, linking its page."""
    rows = []
    for path in sorted((docs / "quality").glob("*.json")):
        s = json.loads(path.read_text(encoding="utf-8"))
        link = f'<a href="quality/{_e(s["suite"])}.html">{_e(s["suite"])}</a>'
        rows.append(
            _cells(
                [link, s["verdict"], s["summary"], s["reports"], s["checked_at"]],
                status=s["verdict"],
                raw=1,
            )
        )
    body = "<h1>xxgk quality reports</h1>" + _table(
        ["suite", "verdict", "summary", "reports", "checked"], rows
    )
    index = docs / "index.html"
    with _replacing(index) as handle:
        handle.write(_page("xxgk quality", body))
    return index


def serve(docs: Path, host: str, port: int) -> ThreadingHTTPServer:
    """Serves the docs folder on http://host:port/ from a daemon thread until shut down."""
    docs.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(_QuietHandler, directory=str(docs))
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, name="xxgk-docs", daemon=True).start()
    return server


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the Dagster UI's console is the dev server's log


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="zh"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _table(header: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + "</tbody></table>"


def _cells(values: list[Any], status: str | None = None, raw: int = 0) -> str:
    """One table row; the first `raw` values are HTML already, numbers align right."""
    cells = []
    for i, value in enumerate(values):
        if i < raw:
            cells.append(f"<td>{value}</td>")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            cells.append(f'<td class="n">{value}</td>')
        else:
            cells.append(f"<td>{_e('' if value is None else value)}</td>")
    opening = f'<tr class="{status}">' if status else "<tr>"
    return opening + "".join(cells) + "</tr>"


def _e(value: Any) -> str:
    return html.escape(str(value))


@contextmanager
def _replacing(target: Path, newline: str | None = None) -> Iterator[TextIO]:
    """Writes a text file beside its target and puts it in place when the block ends, so the
    server never hands out half a page."""
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        with temporary.open("w", encoding="utf-8", newline=newline) as handle:
            yield handle
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
