"""The `xxgk` command: parse reports, run the pipeline on a data folder, open the UI."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from dagster_project.parsing.documents import read_document
from dagster_project.parsing.normalize import normalize_frame
from dagster_project.parsing.parse import parse_batch
from dagster_project.paths import BIN_DIR, DATA_DIR_ENV, DataPaths, path_with_bin

if TYPE_CHECKING:
    from dagster import ExecuteInProcessResult

WAREHOUSE = "warehouse"
# Beside the pipeline's warehouse: the inputs and the check verdicts of its last build.
LAST_BUILD = "last_build.json"
QUIET_ENV = {
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "GX_ANALYTICS_ENABLED": "False",
}


# ---------------------------------------------------------------------------------------------
# xxgk parse


def _read_inputs(files: Sequence[str]) -> list[tuple[str, bytes]]:
    inputs = []
    for name in files:
        if name == "-":
            inputs.append(("-", sys.stdin.buffer.read()))
        else:
            inputs.append((name, Path(name).read_bytes()))
    return inputs


DOCS_SCHEMA = {
    "doc_id": pl.String,
    "original": pl.String,
    "locations": pl.List(pl.String),
    "error": pl.String,
}


def parse_files(inputs: list[tuple[str, bytes]]) -> list[dict]:
    """Contract objects for some files (name, bytes), in order; an undecodable file gives an
    object with null tables and a `decode_failed` issue."""
    from dagster_project.parsing.contract import to_contract

    rows, heads = [], {}
    for i, (name, data) in enumerate(inputs):
        doc_id = str(i)
        document = read_document(data)
        heads[doc_id] = {
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "kind": document.kind,
            "encoding": document.encoding,
        }
        rows.append(
            {
                "doc_id": doc_id,
                "original": document.text or "",
                "locations": document.locations,
                "error": document.error,
            }
        )
    docs = normalize_frame(pl.DataFrame(rows, schema=DOCS_SCHEMA))
    result = parse_batch(docs)
    objects = dict(zip(result.reports["doc_id"], to_contract(result, heads), strict=True))
    out = []
    for row in rows:
        obj = objects[row["doc_id"]]
        if row["error"]:
            obj["issues"].insert(
                0,
                {
                    "code": "decode_failed",
                    "severity": "error",
                    "rule": None,
                    "message": row["error"],
                    "line": None,
                },
            )
        out.append(obj)
    return out


def cmd_parse(args: argparse.Namespace) -> int:
    from dagster_project.parsing.render import report_text

    try:
        inputs = _read_inputs(args.files)
    except OSError as exc:
        print(f"xxgk parse: {exc}", file=sys.stderr)
        return 2
    for obj in parse_files(inputs):
        if args.json:
            print(json.dumps(obj, ensure_ascii=False, default=str))
        else:
            print(report_text(obj))
            print()
    return 0


def cmd_synth(args: argparse.Namespace) -> int:
    from dagster_project.synth import generate, truth_json

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    truths = []
    for seed in range(args.seed, args.seed + args.reports):
        report = generate(
            seed,
            layout=args.layout,
            violation_rate=args.violation_rate,
            traditional=True if args.traditional else None,
        )
        path = out / str(report.truth["year"]) / f"synth-{seed:07d}-{report.layout}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(report.text, encoding="utf-8")
        truths.append(
            {
                "file": str(path.relative_to(out)),
                "layout": report.layout,
                "traditional": report.traditional,
                "violated": report.violated,
                **truth_json(report.truth),
            }
        )
    with (out / "truth.jsonl").open("w", encoding="utf-8") as handle:
        for truth in truths:
            handle.write(json.dumps(truth, ensure_ascii=False) + "\n")
    print(f"{len(truths)} reports under {out}/<year>/, truth in {out / 'truth.jsonl'}")
    return 0


# ---------------------------------------------------------------------------------------------
# xxgk run / dev


def prepare_dagster_home(paths: DataPaths) -> Path:
    """$XXGK_DATA_DIR/dagster_home with xxgk's dagster.yaml (telemetry off, warehouse pool)."""
    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(__file__).with_name("dagster.yaml"), home / "dagster.yaml")
    return home


def _environment(paths: DataPaths) -> dict[str, str]:
    env = {
        DATA_DIR_ENV: str(paths.root),
        "DAGSTER_HOME": str(prepare_dagster_home(paths)),
        "PATH": path_with_bin(),
        **QUIET_ENV,
    }
    os.environ.update(env)
    return env


def summary(paths: DataPaths) -> dict[str, int]:
    """Figures of the warehouse: files, reports parsed, quarantined, identities broken."""
    from dagster_project import warehouse

    if not paths.warehouse.exists():
        return {}
    with warehouse.connect(paths.warehouse, read_only=True) as con:
        row = con.execute("""
            select (select count(*) from raw_files),
                   (select count(*) from stg_reports),
                   (select count(*) from quarantine),
                   (select count(distinct report_id) from stg_parse_issues
                     where code = 'identity_broken'),
                   (select count(*) from stg_reports
                     where table2_present and table3_present and table4_present)
        """).fetchall()[0]
    keys = (
        "files",
        "reports_parsed",
        "quarantined",
        "reports_identity_broken",
        "reports_with_all_tables",
    )
    return dict(zip(keys, row, strict=True))


def run_pipeline(
    paths: DataPaths,
    years: Sequence[str] | None = None,
    log_level: str = "WARNING",
    warehouse: bool = True,
) -> dict[str, ExecuteInProcessResult]:
    """Materialise every asset for every year folder (or the years given), one run per year,
    then the warehouse (reference tables, dbt, checks, publication) once, unless its last
    build (see last_build) was made from exactly the current inputs; runs are recorded in the
    Dagster instance under the data folder. Results by year, and by "warehouse" if it ran."""
    import dagster as dg

    from dagster_project.jobs import resolved_ingest_job, resolved_warehouse_job
    from dagster_project.partitions import year_partitions
    from dagster_project.recovery import PROCESS_TAG, fail_orphaned_runs, process_id
    from dagster_project.resources import XxgkData
    from dagster_project.warehouse import build_inputs

    _environment(paths)
    chosen = list(years or paths.year_folders())
    results = {}
    quiet = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    resources = {"xxgk": XxgkData(data_dir=str(paths.root))}
    tags = {PROCESS_TAG: process_id()}
    with dg.DagsterInstance.get() as instance:
        for run_id in fail_orphaned_runs(instance):
            print(f"xxgk: run {run_id} was killed before it ended; marked failed", file=sys.stderr)
        known = set(instance.get_dynamic_partitions(year_partitions.name))
        instance.add_dynamic_partitions(year_partitions.name, [y for y in chosen if y not in known])
        job = resolved_ingest_job()
        for year in chosen:
            results[year] = job.execute_in_process(
                instance=instance,
                partition_key=year,
                tags=tags,
                raise_on_error=False,
                run_config=quiet,
                resources=resources,
            )
        last = last_build(paths)
        if warehouse and (last is None or last["inputs"] != build_inputs(paths.warehouse)):
            results[WAREHOUSE] = resolved_warehouse_job().execute_in_process(
                instance=instance,
                tags=tags,
                raise_on_error=False,
                run_config=quiet,
                resources=resources,
            )
            _record_build(paths, results[WAREHOUSE])
    return results


def last_build(paths: DataPaths) -> dict | None:
    """The inputs, check lines and publication of the last warehouse run that built every
    model and ran every suite; None if there is none."""
    record = paths.warehouse.with_name(LAST_BUILD)
    return json.loads(record.read_text(encoding="utf-8")) if record.exists() else None


def _record_build(paths: DataPaths, result: ExecuteInProcessResult) -> None:
    """Keep what a warehouse run decided, if it got that far: the same inputs would give the
    same verdicts, so the next run need not build again. A run that stopped earlier (a failed
    or killed step) leaves no record, and the next run builds."""
    from dagster import AssetKey

    from dagster_project.quality import suite_names
    from dagster_project.warehouse import built_inputs

    record = paths.warehouse.with_name(LAST_BUILD)
    record.unlink(missing_ok=True)
    built = {e.asset_key for e in result.get_asset_materialization_events()}
    checked = {e.check_name for e in result.get_asset_check_evaluations()}
    if AssetKey("dim_report") in built and set(suite_names()) <= checked:
        last = {
            "inputs": built_inputs(paths.warehouse),
            "checks": check_lines({WAREHOUSE: result}),
            "published": AssetKey("published_warehouse") in built,
        }
        record.write_text(json.dumps(last, ensure_ascii=False), encoding="utf-8")


def check_lines(results: dict[str, ExecuteInProcessResult]) -> list[str]:
    """One line counting the asset checks of the runs by outcome, then one line per check
    that did not pass (the last evaluation of each check counts)."""
    latest = {}
    for result in results.values():
        for evaluation in result.get_asset_check_evaluations():
            latest[evaluation.asset_check_key] = evaluation
    failing = [e for e in latest.values() if not e.passed]
    errors = sum(e.severity.value == "ERROR" for e in failing)
    lines = [
        f"checks: {len(latest) - len(failing)} passed · {len(failing) - errors} warnings · "
        f"{errors} errors"
    ]
    for e in sorted(failing, key=lambda e: (e.severity.value, e.check_name)):
        lines.append(
            f"  {e.severity.value} {e.check_name} on {e.asset_key.to_user_string()}: "
            f"{e.description or ''}"
        )
    return lines


def cmd_run(args: argparse.Namespace) -> int:
    paths = DataPaths.resolve(args.data_dir)
    years = args.years or paths.year_folders()
    if not years:
        print(f"xxgk run: no year folders under {paths.raw}", file=sys.stderr)
        return 2
    print(f"xxgk: running years {', '.join(years)} on {paths.root}", file=sys.stderr)
    # Logs of the runs (dbt's among them) go to stderr; stdout carries only the summary.
    with contextlib.redirect_stdout(sys.stderr):
        results = run_pipeline(paths, years)
    failed = [run for run, result in results.items() if not result.success]
    figures = summary(paths)
    print(" · ".join(f"{k.replace('_', ' ')}: {v}" for k, v in figures.items()))
    for line in check_lines(results):
        print(line)
    last, ran = last_build(paths), WAREHOUSE in results
    if last and not ran:
        print("warehouse checks, as the last build left them (its inputs are unchanged):")
        print("\n".join(f"  {line}" for line in last["checks"]))
        if not last["published"]:
            failed.append(WAREHOUSE)
    if last and last["published"]:
        note = "" if ran else " (unchanged: its inputs are those of the last build)"
    elif last:
        note = " (not replaced: a check failed with ERROR on these inputs)"
    else:
        note = " (not replaced: the warehouse run did not finish)"
    print(f"warehouse: {paths.published}{note}")
    print(f"quality reports: {paths.docs / 'index.html'}")
    if failed:
        print(f"xxgk run: runs failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from dagster_project.bench import DOCUMENTS, QUICK_DOCUMENTS, QUICK_SIZE, SCALING_SIZES, run

    os.environ.update(QUIET_ENV)  # no telemetry from the stages' dbt and Great Expectations
    sizes = SCALING_SIZES if args.scaling else (QUICK_SIZE if args.quick else args.reports,)
    root = DataPaths.resolve(args.data_dir).root / "bench"
    documents = args.documents
    if documents is None:
        documents = QUICK_DOCUMENTS if args.quick else DOCUMENTS
    for line in run(root, sizes, documents):
        print(line, flush=True)
    return 0


def cmd_office_check(args: argparse.Namespace) -> int:
    from dagster_project import office

    if not office.available():
        print("xxgk office-check needs LibreOffice (soffice) and pdftotext on the PATH")
        return 2
    with tempfile.TemporaryDirectory() as work:
        scores = office.check(args.reports, Path(work))
    for mode, score in scores.items():
        print(score.line(mode))
        for example in score.examples[:10]:
            print("  wrong:", example)
    return 0 if all(s.wrong == 0 for s in scores.values()) else 1


def cmd_dev(args: argparse.Namespace) -> int:
    from dagster_project import quality_docs

    paths = DataPaths.resolve(args.data_dir)
    docs_url = f"http://{args.host}:{args.docs_port}"
    env = {**_environment(paths), quality_docs.DOCS_URL_ENV: docs_url}
    command = [
        str(BIN_DIR / "dagster"),
        "dev",
        "-m",
        "dagster_project.definitions",
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    # The quality reports the checks link to are served from this process while the UI runs.
    server = quality_docs.serve(paths.docs, args.host, args.docs_port)
    print(f"xxgk: Dagster UI on http://{args.host}:{args.port} for {paths.root}", file=sys.stderr)
    print(f"xxgk: quality reports on {docs_url}/", file=sys.stderr)
    ui = subprocess.Popen(command, env={**os.environ, **env})
    signal.signal(signal.SIGTERM, lambda *_: ui.terminate())
    try:
        while True:
            try:
                return ui.wait()
            except KeyboardInterrupt:
                # A terminal's Ctrl-C reaches dagster dev too; one sent to this process alone
                # is passed on.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    return ui.wait(timeout=5)
                ui.send_signal(signal.SIGINT)
    finally:
        server.shutdown()


# ---------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xxgk", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("parse", help="parse report files to the contract (JSON lines or text)")
    p.add_argument("files", nargs="+", help="report text files; - reads standard input")
    p.add_argument("--json", action="store_true", help="one JSON object per file, per line")
    p.set_defaults(func=cmd_parse)

    from dagster_project.synth import LAYOUTS

    p = sub.add_parser("synth", help="write synthetic reports of every layout, with their truth")
    p.add_argument("--out", required=True, help="folder to write <year>/*.txt and truth.jsonl")
    p.add_argument("--reports", type=int, default=100)
    p.add_argument("--seed", type=int, default=0, help="first seed; report i uses seed + i")
    p.add_argument("--layout", choices=LAYOUTS, help="one layout (default: a mix)")
    p.add_argument(
        "--violation-rate",
        type=float,
        default=0.05,
        help="share of reports with one identity broken in the source",
    )
    p.add_argument("--traditional", action="store_true", help="all in Traditional script")
    p.set_defaults(func=cmd_synth)

    data_help = f"data folder (default ${DATA_DIR_ENV}, else data/)"
    p = sub.add_parser("run", help="materialise every asset for every year on a data folder")
    p.add_argument("--data-dir", help=data_help)
    p.add_argument("--years", nargs="*", help="only these year folders")
    p.set_defaults(func=cmd_run)

    from dagster_project.quality_docs import DOCS_PORT

    p = sub.add_parser("dev", help="open the Dagster UI on the data folder")
    p.add_argument("--data-dir", help=data_help)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=3000)
    p.add_argument(
        "--docs-port", type=int, default=DOCS_PORT, help=f"quality reports (default {DOCS_PORT})"
    )
    p.set_defaults(func=cmd_dev)

    from dagster_project.bench import DOCUMENTS, QUICK_DOCUMENTS, QUICK_SIZE, SCALING_SIZES

    p = sub.add_parser("bench", help="time and memory of every stage on a synthetic corpus")
    p.add_argument("--reports", type=int, default=100_000, help="corpus size (default 100,000)")
    p.add_argument("--quick", action="store_true", help=f"{QUICK_SIZE:,} reports: does it run?")
    p.add_argument(
        "--scaling", action="store_true", help=f"at {', '.join(f'{n:,}' for n in SCALING_SIZES)}"
    )
    p.add_argument(
        "--documents",
        type=int,
        help=f"documents of each kind (.docx, web page, PDF) to read and parse (default "
        f"{DOCUMENTS}, {QUICK_DOCUMENTS} with --quick; 0: none)",
    )
    p.add_argument("--data-dir", help=data_help + "; the corpus is cached under its bench/")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser(
        "office-check",
        help="fill the Word form, export PDF with LibreOffice, parse pdftotext's two texts",
    )
    p.add_argument("--reports", type=int, default=40, help="reports (each with zeros and blanks)")
    p.set_defaults(func=cmd_office_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `xxgk` console script."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
