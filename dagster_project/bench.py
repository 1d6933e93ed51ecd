"""`xxgk bench`: speed and memory of every stage on one synthetic corpus, against the floor of
reading the files.

The corpus (both formats, every layout, a few percent identity violations, GB18030 files,
undecodable and tableless files) is generated once per size under data/bench/ and reused.
Each stage runs in a fresh process, on the output of the stage before, so its peak resident
memory is its own; the whole pipeline then runs through Dagster (`xxgk run`) as a user runs
it, twice: the second run finds nothing changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from dagster_project.paths import BIN_DIR, DataPaths, path_with_bin

# One file in BINARY_EVERY is binary junk, one in TABLELESS_EVERY a report without tables,
# one in GB18030_EVERY is saved in GB18030 (real crawls have all three).
BINARY_EVERY, TABLELESS_EVERY, GB18030_EVERY = 50, 40, 10
VIOLATION_RATE = 0.03
STAGES = ("floor", "decode_normalise", "parse", "staging", "dbt", "checks")
SCALING_SIZES = (10_000, 30_000, 100_000)
QUICK_SIZE = 2_000


def corpus(root: Path, reports: int, seed: int = 0) -> Path:
    """raw/ of a corpus of `reports` files under `root`, generated once and reused."""
    from dagster_project.synth import generate

    folder = root / f"corpus-{reports}-seed{seed}"
    stamp = folder / "READY"
    # A corpus made by another version of the generator is made again.
    made = {"reports": reports, "seed": seed, "generator": _generator_version()}
    if stamp.exists() and json.loads(stamp.read_text(encoding="utf-8")) == made:
        return folder / "raw"
    shutil.rmtree(folder, ignore_errors=True)
    raw = folder / "raw"
    rng = random.Random(seed)
    for i in range(reports):
        report = generate(seed + i, violation_rate=VIOLATION_RATE)
        year = str(report.truth["year"])
        (raw / year).mkdir(parents=True, exist_ok=True)
        name = raw / year / f"r{i:07d}-{report.layout}.txt"
        if i % BINARY_EVERY == BINARY_EVERY - 1:
            name.write_bytes(b"%PDF-1.7\n\x00\xff" + rng.randbytes(4000))
        elif i % TABLELESS_EVERY == TABLELESS_EVERY - 1:
            prose = [line for line in report.text.splitlines() if "表" not in line][:8]
            name.write_text("\n".join(prose), encoding="utf-8")
        elif i % GB18030_EVERY == 3:
            name.write_bytes(report.text.encode("gb18030"))
        else:
            name.write_text(report.text, encoding="utf-8")
    stamp.write_text(json.dumps(made), encoding="utf-8")
    return raw


def _generator_version() -> str:
    from dagster_project import synth

    return hashlib.sha256(Path(synth.__file__).read_bytes()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Stages, each run in its own process on a work folder whose raw/ is the corpus


def _floor(paths: DataPaths) -> dict:
    import polars as pl

    texts = [p.read_bytes().decode("utf-8", "replace") for p in sorted(paths.raw.rglob("*.txt"))]
    lines = pl.DataFrame({"text": texts}).select(pl.col("text").str.split("\n").list.len().sum())
    return {"lines": int(lines.item())}


def _decode_normalise(paths: DataPaths) -> dict:
    from dagster_project.pipeline import ingest_partition, normalize_partition, read_manifest

    manifest, _ = read_manifest(paths)
    normalise = 0.0
    for year in paths.year_folders():
        ingest_partition(paths, year, manifest)
        start = time.perf_counter()
        normalize_partition(paths, year)
        normalise += time.perf_counter() - start
    return {"normalise_s": normalise}


def _parse(paths: DataPaths) -> dict:
    from dagster_project.pipeline import parse_partition

    reports = 0
    for year in paths.year_folders():
        frames, _, _ = parse_partition(paths, year)
        reports += frames["stg_reports"].height
    return {"reports_parsed": reports}


def _staging(paths: DataPaths) -> dict:
    from dagster_project import warehouse
    from dagster_project.parsing.reference import reference_tables
    from dagster_project.pipeline import staging_frames

    rows = 0
    for year in paths.year_folders():
        counts, _ = warehouse.replace_partition(
            paths.warehouse, int(year), staging_frames(paths.lake, year)
        )
        rows += sum(counts.values())
    warehouse.replace_tables(paths.warehouse, reference_tables())
    return {"rows_loaded": rows}


def _dbt(paths: DataPaths) -> dict:
    from dagster_project.assets.dbt import DBT_DIR, WAREHOUSE_ENV

    target = paths.root / "dbt-target"
    done = subprocess.run(
        [
            str(BIN_DIR / "dbt"),
            "build",
            "--profiles-dir",
            ".",
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
        ],
        cwd=DBT_DIR,
        env={**os.environ, WAREHOUSE_ENV: str(paths.warehouse)},
        capture_output=True,
        text=True,
    )
    shutil.rmtree(target, ignore_errors=True)
    if done.returncode:
        raise RuntimeError(f"dbt build failed:\n{done.stdout[-3000:]}")
    return {}


def _checks(paths: DataPaths) -> dict:
    from dagster_project import quality, warehouse
    from dagster_project.parsing.reference import form_cells

    outcome = {}
    with warehouse.connect(paths.warehouse, read_only=True) as con:
        for name in quality.suite_names():
            result = quality.validate(
                quality.Suite.load(name),
                con,
                docs_dir=paths.docs / "expectations" / name,
                frames={"form_cells": form_cells()},
            )
            outcome[name] = result.severity or "passed"
    return outcome


def _pipeline(paths: DataPaths) -> dict:
    """`xxgk run` on the data folder, as a user runs it (its peak memory is this stage's)."""
    done = subprocess.run(
        [str(BIN_DIR / "xxgk"), "run", "--data-dir", str(paths.root)],
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 1):  # 1: a check failed a run; the timing still stands
        raise RuntimeError(f"xxgk run failed:\n{done.stderr[-3000:]}")
    return {"exit": done.returncode}


_STAGE_FUNCTIONS: dict[str, Callable[[DataPaths], dict]] = {
    "floor": _floor,
    "decode_normalise": _decode_normalise,
    "parse": _parse,
    "staging": _staging,
    "dbt": _dbt,
    "checks": _checks,
    "pipeline": _pipeline,
}


def _peak_bytes() -> int:
    """Peak resident memory of this process or of any child it waited for (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * 1024


def run_stage(name: str, data_dir: Path) -> dict:
    """Runs one stage in this process; its seconds, peak memory and figures."""
    paths = DataPaths.resolve(data_dir)
    start = time.perf_counter()
    figures = _STAGE_FUNCTIONS[name](paths)
    return {"stage": name, "seconds": time.perf_counter() - start, "peak": _peak_bytes(), **figures}


def _in_child(name: str, data_dir: Path) -> dict:
    """Runs a stage in a fresh Python process and reads its figures (last line of stdout)."""
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project.bench", name, str(data_dir)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0", "PATH": path_with_bin()},
    )
    if done.returncode:
        raise RuntimeError(f"stage {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _work_folder(root: Path, raw: Path, name: str) -> Path:
    """A fresh data folder whose raw/ is the corpus (linked, not copied)."""
    work = root / "work" / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "raw").symlink_to(raw.resolve(), target_is_directory=True)
    return work


def measure(root: Path, reports: int) -> dict:
    """Every stage, then the pipeline through Dagster twice, on a corpus of `reports`."""
    raw = corpus(root, reports)
    files = sorted(raw.rglob("*.txt"))
    size = sum(p.stat().st_size for p in files)
    work = _work_folder(root, raw, f"stages-{reports}")
    stages = [_in_child(name, work) for name in STAGES]
    pipeline_dir = _work_folder(root, raw, f"pipeline-{reports}")
    first = _in_child("pipeline", pipeline_dir)
    again = {**_in_child("pipeline", pipeline_dir), "stage": "pipeline_rerun"}
    return {"reports": len(files), "bytes": size, "stages": [*stages, first, again]}


def report(result: dict) -> list[str]:
    """The table of one measurement and its summary line."""
    n, size = result["reports"], result["bytes"]
    by = {s["stage"]: s for s in result["stages"]}
    floor = by["floor"]["seconds"]
    lines = [
        f"corpus: {n} files, {size / 2**20:.1f} MiB",
        f"{'stage':<18}{'seconds':>9}{'reports/s':>11}{'MiB/s':>9}{'x floor':>9}{'peak MiB':>10}",
    ]
    for s in result["stages"]:
        seconds = s["seconds"]
        lines.append(
            f"{s['stage']:<18}{seconds:>9.2f}{n / seconds:>11.0f}{size / 2**20 / seconds:>9.1f}"
            f"{seconds / floor:>9.1f}{s['peak'] / 2**20:>10.0f}"
        )
    normalise = by["decode_normalise"].get("normalise_s", 0.0)
    parse_s = normalise + by["parse"]["seconds"]
    lines.append(
        f"parse (normalise + parse): {parse_s:.2f} s = {n / parse_s:.0f} reports/s, "
        f"{parse_s / floor:.1f}x floor; re-run with nothing changed: "
        f"{by['pipeline_rerun']['seconds'] / by['pipeline']['seconds']:.0%} of the first run"
    )
    peak = max(s["peak"] for s in result["stages"]) / 2**30
    lines.append(
        f"bench {n} reports: parse {n / parse_s:.0f} reports/s ({parse_s / floor:.1f}x floor), "
        f"pipeline {by['pipeline']['seconds']:.0f} s, peak {peak:.2f} GiB"
    )
    return lines


# Documents per kind in the documents' benchmark (the national Word form of both formats,
# saved as .docx, as a site's web page, and as PDF by LibreOffice where it is installed).
DOCUMENTS = 200
QUICK_DOCUMENTS = 20
DOCUMENT_KINDS = ("docx", "html", "pdf")


def document_corpus(root: Path, n: int) -> dict[str, list[Path]]:
    """n filled forms of each kind under `root`, made once and reused; no PDF without
    LibreOffice."""
    from dagster_project import office
    from dagster_project.synth import generate

    folder = root / f"documents-{n}"
    stamp = folder / "READY"
    made = {"documents": n, "generator": _generator_version(), "pdf": office.available()}
    if not (stamp.exists() and json.loads(stamp.read_text(encoding="utf-8")) == made):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        seed, docx = 0, []
        while len(docx) < n:
            truth = generate(seed).truth
            if office.fits_form(truth):
                path = folder / f"d{seed:07d}.docx"
                path.write_bytes(office.fill_form(truth, blank_zero=seed % 2 == 0))
                charset = "gb18030" if seed % 3 == 0 else "utf-8"
                path.with_suffix(".html").write_bytes(
                    office.word_html(path.read_bytes(), truth, seed, charset)
                )
                docx.append(path)
            seed += 1
        if office.available():
            office.convert(docx, "pdf", folder)
        stamp.write_text(json.dumps(made), encoding="utf-8")
    return {kind: sorted(folder.glob(f"*.{kind}")) for kind in DOCUMENT_KINDS}


def measure_documents(root: Path, n: int) -> list[str]:
    """Reading (file → text and grids) and reading with parsing, per kind of document."""
    from dagster_project.cli import parse_files
    from dagster_project.parsing.documents import read_document

    lines = [
        f"documents: {n} per kind",
        f"{'kind':<6}{'files':>7}{'MiB':>7}{'read s':>8}{'docs/s':>8}{'pages/s':>9}"
        f"{'read+parse s':>14}{'docs/s':>8}",
    ]
    for kind, files in document_corpus(root, n).items():
        if not files:
            lines.append(f"{kind:<6} none: LibreOffice (soffice) is not installed")
            continue
        data = [(p.name, p.read_bytes()) for p in files]
        start = time.perf_counter()
        read = [read_document(d) for _, d in data]
        read_s = time.perf_counter() - start
        pages = sum(doc.text.count("\f") + 1 for doc in read if doc.text) if kind == "pdf" else 0
        start = time.perf_counter()
        parse_files(data)
        both_s = time.perf_counter() - start
        size = sum(len(d) for _, d in data) / 2**20
        lines.append(
            f"{kind:<6}{len(data):>7}{size:>7.1f}{read_s:>8.2f}{len(data) / read_s:>8.1f}"
            f"{(f'{pages / read_s:.1f}' if pages else '-'):>9}{both_s:>14.2f}"
            f"{len(data) / both_s:>8.1f}"
        )
    return lines


def run(root: Path, sizes: tuple[int, ...], documents: int = 0) -> Iterator[str]:
    """The lines `xxgk bench` prints: a table per size, the documents' table, then the summary
    lines; the last line is the summary of the largest size."""
    summaries = []
    for reports in sizes:
        lines = report(measure(root, reports))
        yield from lines[:-1]
        summaries.append(lines[-1])
    if documents:
        yield from measure_documents(root, documents)
    if len(summaries) > 1:
        yield "scaling:"
        yield from (f"  {line}" for line in summaries[:-1])
    yield summaries[-1]


if __name__ == "__main__":
    # python -m dagster_project.bench <stage> <data folder>: one stage, figures as JSON
    stage, folder = sys.argv[1], Path(sys.argv[2])
    print(json.dumps(run_stage(stage, folder)))
