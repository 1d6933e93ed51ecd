"""The stages of one reporting year, as plain functions the assets and the CLI share.

ingest (files → raw_files, raw_texts) → normalise (→ normalized_reports) → parse (→ stg_*) →
staging frames (raw_files with their fate, quarantine). No Dagster and no warehouse here.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import logging
import multiprocessing
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import fields
from pathlib import Path

import polars as pl

from dagster_project.faults import crash_point
from dagster_project.gazetteer import geography
from dagster_project.lake import (
    TornWrite,
    partition_file,
    read_partition,
    read_partitions,
    source_of,
    write_partition,
    write_partitions,
)
from dagster_project.parsing.documents import Document, read_document
from dagster_project.parsing.frames import SCHEMAS, ParseResult
from dagster_project.parsing.normalize import normalize_frame
from dagster_project.parsing.parse import parse_batch
from dagster_project.paths import DataPaths

RAW_FILES_SCHEMA: dict[str, pl.DataType] = {
    "year": pl.Int32,
    "path": pl.String,
    "size": pl.Int64,
    "sha256": pl.String,
    "report_id": pl.String,
    "kind": pl.String,
    "encoding": pl.String,
    "decode_error": pl.String,
    "duplicate_of": pl.String,
    "manifest_agency": pl.String,
    "manifest_year": pl.Int32,
    "source_url": pl.String,
}
TEXTS_SCHEMA: dict[str, pl.DataType] = {
    "year": pl.Int32,
    "report_id": pl.String,
    "sha256": pl.String,
    "file": pl.String,
    "paths": pl.List(pl.String),
    "manifest_agency": pl.String,
    "manifest_year": pl.Int32,
    "source_url": pl.String,
    "original": pl.String,
    "locations": pl.List(pl.String),
}
QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "year": pl.Int32,
    "path": pl.String,
    "sha256": pl.String,
    "stage": pl.String,
    "reason": pl.String,
}
PARSE_QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "year": pl.Int32,
    "report_id": pl.String,
    "reason": pl.String,
}

# Staging table → the parse output it holds.
STAGING_TABLES: dict[str, str] = {
    "stg_reports": "reports",
    "stg_table3_cells": "table3",
    "stg_table4_cells": "table4",
    "stg_table2_cells": "table2",
    "stg_narrative_facts": "narrative",
    "stg_parse_issues": "issues",
}
# Lake tables the ingest and the parse step write together.
INGEST_TABLES: tuple[str, ...] = ("raw_files", "raw_texts")
PARSED_TABLES: tuple[str, ...] = (*STAGING_TABLES, "parse_quarantine")
WAREHOUSE_TABLES: tuple[str, ...] = ("raw_files", "quarantine", *STAGING_TABLES)


def report_id(year: int | str, sha256: str) -> str:
    """The key of one report: its year folder and the start of its content hash."""
    return f"{year}-{sha256[:16]}"


# ---------------------------------------------------------------------------------------------
# Manifest


def read_manifest(paths: DataPaths) -> tuple[dict[str, dict], list[str]]:
    """Rows of raw/manifest.csv by path relative to raw/, and the rows refused with why.

    Columns path, agency, year, source_url are all optional but path; a path that leaves raw/ is
    refused.
    """
    rows: dict[str, dict] = {}
    problems: list[str] = []
    if not paths.manifest.exists():
        return rows, problems
    raw_root = paths.raw.resolve()
    with paths.manifest.open(encoding="utf-8-sig", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle), start=2):
            given = (row.get("path") or "").strip()
            if not given:
                problems.append(f"manifest line {n}: no path")
                continue
            resolved = (paths.raw / given).resolve()
            if not resolved.is_relative_to(raw_root):
                problems.append(f"manifest line {n}: {given!r} points outside raw/; refused")
                continue
            year = (row.get("year") or "").strip()
            rows[resolved.relative_to(raw_root).as_posix()] = {
                "manifest_agency": (row.get("agency") or "").strip() or None,
                "manifest_year": int(year) if year.isdigit() else None,
                "source_url": (row.get("source_url") or "").strip() or None,
            }
            if year and not year.isdigit():
                problems.append(f"manifest line {n}: year {year!r} is not a year; ignored")
    return rows, problems


# ---------------------------------------------------------------------------------------------
# Ingest


def year_files(paths: DataPaths, year: str) -> list[Path]:
    """Every file under raw/<year>/ (symbolic links to files too, not to folders), in a stable
    order."""
    return sorted(map(Path, _files_under(paths.raw / year)))


def year_file_stats(paths: DataPaths, year: str) -> list[tuple[str, Path, int, int]]:
    """(path relative to raw/, path, size, modification time in ns) of each of year_files."""
    stats = []
    for file in year_files(paths, year):
        stat = file.stat()
        stats.append((file.relative_to(paths.raw).as_posix(), file, stat.st_size, stat.st_mtime_ns))
    return stats


def count_year_files(paths: DataPaths, year: str) -> int:
    """How many files year_files finds, without listing them."""
    return sum(1 for _ in _files_under(paths.raw / year))


def _files_under(folder: Path | str) -> Iterator[str]:
    # os.scandir knows most entries' type without a stat call per file, unlike Path.rglob.
    try:
        entries = os.scandir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    with entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _files_under(entry.path)
            elif entry.is_file():
                yield entry.path


def ingest_year(
    paths: DataPaths,
    year: str,
    manifest: dict[str, dict],
    known: dict[str, Document] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Register every file of a year (raw_files, one row per path) and decode each distinct
    content once (raw_texts, one row per sha256). `known` holds contents decoded before, by
    sha256: those are not decoded again."""
    known = known or {}
    file_rows: list[dict] = []
    texts: dict[str, dict] = {}
    for file in year_files(paths, year):
        data = file.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        rel = file.relative_to(paths.raw).as_posix()
        listed = manifest.get(rel, {})
        first = texts.get(sha)
        row = {
            "year": int(year),
            "path": rel,
            "size": len(data),
            "sha256": sha,
            "report_id": report_id(year, sha),
            "duplicate_of": None,
            **{k: listed.get(k) for k in ("manifest_agency", "manifest_year", "source_url")},
        }
        if first is not None:
            first["paths"].append(rel)
            row.update(
                kind=first["kind"],
                encoding=first["encoding"],
                decode_error=first["decode_error"],
                duplicate_of=first["file"],
            )
        else:
            decoded = known.get(sha) or read_document(data)
            row.update(kind=decoded.kind, encoding=decoded.encoding, decode_error=decoded.error)
            texts[sha] = {
                "year": int(year),
                "report_id": row["report_id"],
                "sha256": sha,
                "file": rel,
                "paths": [rel],
                "original": decoded.text,
                "locations": decoded.locations,
                "kind": decoded.kind,
                "encoding": decoded.encoding,
                "decode_error": decoded.error,
                **{k: row[k] for k in ("manifest_agency", "manifest_year", "source_url")},
            }
        file_rows.append(row)
    raw_files = pl.DataFrame(file_rows, schema=RAW_FILES_SCHEMA, orient="row")
    decoded_texts = [t for t in texts.values() if t["decode_error"] is None]
    raw_texts = pl.DataFrame(
        [{k: t[k] for k in TEXTS_SCHEMA} for t in decoded_texts], schema=TEXTS_SCHEMA, orient="row"
    )
    return raw_files, raw_texts


def normalize_texts(raw_texts: pl.DataFrame) -> pl.DataFrame:
    """Decoded texts normalised for parsing, the original kept alongside."""
    return normalize_frame(raw_texts, "original")


def year_digest(paths: DataPaths, year: str, manifest: dict[str, dict]) -> str:
    """The digest of all a year's lake is made from: each file's path and content hash, its
    manifest row, and the parser's version. Every stage stamps its output with it."""
    digest = hashlib.sha256(parser_version().encode())
    for rel, sha in file_hashes(paths, year).items():
        listed = manifest.get(rel, {})
        digest.update("\0".join((rel, sha, *map(str, listed.values()))).encode() + b"\n")
    return digest.hexdigest()[:32]


# Lake table of each file's content hash with the size and modification time the file had when
# it was read; the hash is trusted if it was taken RACY_NS or more after that modification.
FILE_HASHES = "file_hashes"
FILE_HASHES_SCHEMA: dict[str, pl.DataType] = {
    "path": pl.String,
    "size": pl.Int64,
    "mtime_ns": pl.Int64,
    "sha256": pl.String,
}
RACY_NS = 2 * 10**9


def file_hashes(paths: DataPaths, year: str) -> dict[str, str]:
    """The sha256 of every file of a year, by path relative to raw/, in year_files order.

    As git's index does, a file whose size and modification time (in nanoseconds) are those
    it had when it was last hashed is not read again. A file modified less than RACY_NS before
    it was hashed is read again next time: a rewrite within the same clock tick would keep its
    modification time."""
    try:
        recorded = read_partition(paths.lake, FILE_HASHES, year)
    except FileNotFoundError:
        recorded = pl.DataFrame(schema=FILE_HASHES_SCHEMA)
    known = {path: (size, mtime, sha) for path, size, mtime, sha in recorded.iter_rows()}
    now = time.time_ns()
    rows = []
    for rel, file, size, mtime in year_file_stats(paths, year):
        size_then, mtime_then, sha = known.get(rel, (None, None, None))
        if (size_then, mtime_then) != (size, mtime):
            sha = hashlib.sha256(file.read_bytes()).hexdigest()
        rows.append((rel, size, mtime if now - mtime > RACY_NS else None, sha))
    fresh = pl.DataFrame(rows, schema=FILE_HASHES_SCHEMA, orient="row")
    if not fresh.equals(recorded):
        write_partition(paths.lake, FILE_HASHES, year, fresh)
    return dict(zip(fresh["path"], fresh["sha256"], strict=True))


def ingest_partition(
    paths: DataPaths, year: str, manifest: dict[str, dict]
) -> tuple[pl.DataFrame, bool]:
    """ingest_year into the lake (raw_files, raw_texts) and whether anything changed: a year
    whose files, manifest rows and parser are those the lake was made from is left as it is,
    and contents the lake already holds decoded are not decoded again."""
    digest = year_digest(paths, year, manifest)
    if source_of(paths.lake, year, list(INGEST_TABLES)) == digest:
        return read_partition(paths.lake, "raw_files", year), False
    known = {}
    try:
        previous = read_partitions(paths.lake, year, list(INGEST_TABLES))
    except (FileNotFoundError, TornWrite):
        previous = None  # nothing (whole) to reuse: every file is decoded
    if previous:
        encodings = previous["raw_files"].select("sha256", "kind", "encoding").unique("sha256")
        known = {
            sha: Document(kind, text, encoding, None, locations)
            for sha, kind, encoding, text, locations in previous["raw_texts"]
            .join(encodings, on="sha256", how="left")
            .select("sha256", "kind", "encoding", "original", "locations")
            .iter_rows()
        }
    raw_files, raw_texts = ingest_year(paths, year, manifest, known)
    frames = dict(zip(INGEST_TABLES, (raw_files, raw_texts), strict=True))
    write_partitions(paths.lake, year, frames, source=digest)
    return raw_files, True


def normalize_partition(paths: DataPaths, year: str) -> pl.DataFrame | None:
    """normalize_texts of the year's raw_texts into the lake (normalized_reports); contents
    normalised before are taken from the lake, not normalised again. None when the lake's
    normalized_reports were made from the same input."""
    source = source_of(paths.lake, year, list(INGEST_TABLES))
    if source and source_of(paths.lake, year, ["normalized_reports"]) == source:
        return None
    raw_texts = read_partitions(paths.lake, year, list(INGEST_TABLES))["raw_texts"]
    done = pl.DataFrame(schema={"sha256": pl.String, "text": pl.String})
    if partition_file(paths.lake, "normalized_reports", year).exists():
        done = read_partition(paths.lake, "normalized_reports", year).select("sha256", "text")
        done = done.filter(pl.col("sha256").is_in(raw_texts["sha256"].implode()))
    fresh = raw_texts.filter(~pl.col("sha256").is_in(done["sha256"].implode()))
    texts = pl.concat([normalize_texts(fresh).select("sha256", "text"), done])
    normalized = raw_texts.join(texts, on="sha256", how="left", maintain_order="left")
    write_partitions(paths.lake, year, {"normalized_reports": normalized}, source=source or "")
    return normalized


# ---------------------------------------------------------------------------------------------
# Parse


# Reports parsed together: polars works on whole batches, and memory is bounded by one batch.
PARSE_BATCH = 5_000
# A year of at least this many reports is parsed in worker processes (one per core, or
# XXGK_PARSE_WORKERS; 1 parses in this process): a worker costs about a second to start.
PARALLEL_MIN = 1_000
WORKERS_ENV = "XXGK_PARSE_WORKERS"
LOG = logging.getLogger(__name__)


@functools.cache
def parser_version() -> str:
    """A hash of the parser's source: parses cached under another version are redone."""
    digest = hashlib.sha256()
    for source in sorted((Path(__file__).parent / "parsing").glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def parse_workers() -> int:
    """How many processes parse a large year."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if not configured:
        return os.cpu_count() or 1
    if not configured.isdigit():
        raise ValueError(f"{WORKERS_ENV} must be a whole number of processes, not {configured!r}")
    return max(1, int(configured))


@functools.cache
def _worker_pool(workers: int) -> ProcessPoolExecutor:
    """Parse workers, started once per process and reused by every year it parses. Spawned,
    not forked: a fork of a process running polars' threads can deadlock."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _parse_isolating(docs: pl.DataFrame) -> tuple[ParseResult, list[tuple[str, str]]]:
    """Parse the documents batch by batch, in worker processes when there are enough of them
    (see parse_batch_isolating). If a worker dies, the pool is dropped and the batches are
    parsed here: a parse never depends on the workers surviving."""
    workers = parse_workers() if docs.height >= PARALLEL_MIN else 1
    # As few rounds of at most PARSE_BATCH reports per worker as will do, in batches of one
    # size, so that no worker waits through the last round.
    rounds = max(1, -(-docs.height // (workers * PARSE_BATCH)))
    size = max(1, -(-docs.height // (workers * rounds)))
    batches = [docs.slice(start, size) for start in range(0, docs.height, size)]
    outcomes = None
    if workers > 1 and len(batches) > 1:
        try:
            outcomes = list(_worker_pool(workers).map(_parse_in_worker, batches))
        except BrokenProcessPool:
            LOG.warning("a parse worker died; its batches are parsed in this process")
            _worker_pool(workers).shutdown(wait=False)
            _worker_pool.cache_clear()
    if outcomes is None:
        outcomes = [parse_batch_isolating(batch) for batch in batches]
    return (
        ParseResult.concat([result for result, _ in outcomes]),
        [failure for _, failed in outcomes for failure in failed],
    )


def _parse_in_worker(docs: pl.DataFrame) -> tuple[ParseResult, list[tuple[str, str]]]:
    crash_point("parse.worker")
    return parse_batch_isolating(docs)


def parse_batch_isolating(docs: pl.DataFrame) -> tuple[ParseResult, list[tuple[str, str]]]:
    """Parse a batch; if it fails, parse each of its reports alone so that one bad file fails
    alone (with its reason), and the others are parsed."""
    try:
        return parse_batch(docs), []
    except Exception:  # noqa: BLE001 - a parser bug must not stop the batch
        pass
    parts, failed = [], []
    for i in range(docs.height):
        one = docs.slice(i, 1)
        try:
            parts.append(parse_batch(one))
        except Exception as exc:  # noqa: BLE001
            failed.append((one["doc_id"][0], f"parser error: {type(exc).__name__}: {exc}"))
    return ParseResult.concat(parts), failed


def _docs(normalized: pl.DataFrame) -> pl.DataFrame:
    return normalized.select(
        doc_id="report_id",
        text="text",
        agency_hint="manifest_agency",
        year_hint="manifest_year",
        locations="locations",
    )


CACHE_KEYS = ("doc_id", "agency_hint", "year_hint", "parser")


def _cached(paths: DataPaths, year: str, docs: pl.DataFrame) -> ParseResult | None:
    """The cached parse of those documents whose text (by hash), manifest hints and parser
    version are unchanged; None when nothing is cached."""
    tables = [*(f"parse_cache_{f.name}" for f in fields(ParseResult)), "parse_cache_keys"]
    try:
        frames = read_partitions(paths.lake, year, tables)
    except (FileNotFoundError, TornWrite):
        return None
    keys = frames.pop("parse_cache_keys")
    wanted = docs.select(
        "doc_id", "agency_hint", "year_hint", parser=pl.lit(parser_version())
    ).cast(keys.schema)
    same = wanted.join(keys, on=list(CACHE_KEYS), how="semi", nulls_equal=True)["doc_id"]
    cached = ParseResult(**{f.name: frames[f"parse_cache_{f.name}"] for f in fields(ParseResult)})
    return cached.only(same)


def _write_cache(paths: DataPaths, year: str, docs: pl.DataFrame, result: ParseResult) -> None:
    parsed = docs.filter(pl.col("doc_id").is_in(result.reports["doc_id"].implode()))
    keys = parsed.select("doc_id", "agency_hint", "year_hint", parser=pl.lit(parser_version()))
    frames = {f"parse_cache_{f.name}": getattr(result, f.name) for f in fields(ParseResult)}
    write_partitions(paths.lake, year, {**frames, "parse_cache_keys": keys})


def parse_partition(
    paths: DataPaths, year: str
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, int]:
    """parse_year of the year's normalized_reports into the lake (stg_* and parse_quarantine).
    Reports parsed before with the same content, manifest hints and parser version are taken
    from the lake's parse cache, and a year made from the same input as the lake's stg_* is not
    parsed at all; returns the frames, the quarantine and how many were parsed."""
    source = source_of(paths.lake, year, ["normalized_reports"])
    if source and source_of(paths.lake, year, list(PARSED_TABLES)) == source:
        frames = read_partitions(paths.lake, year, list(PARSED_TABLES))
        return frames, frames.pop("parse_quarantine"), 0
    normalized = read_partition(paths.lake, "normalized_reports", year)
    docs = _docs(normalized)
    cached = _cached(paths, year, docs)
    fresh_docs = docs
    if cached is not None:
        fresh_docs = docs.filter(~pl.col("doc_id").is_in(cached.reports["doc_id"].implode()))
    fresh, failed = _parse_isolating(fresh_docs)
    result = ParseResult.concat([cached, fresh]) if cached is not None else fresh
    _write_cache(paths, year, docs, result)
    frames, parse_quarantine = finish_year(normalized, year, result, failed)
    outputs = {**frames, "parse_quarantine": parse_quarantine}
    write_partitions(paths.lake, year, outputs, source=source or "")
    return frames, parse_quarantine, fresh_docs.height


def parse_year(normalized: pl.DataFrame, year: str) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """The staging frames of one year and the reports quarantined at parse time."""
    result, failed = _parse_isolating(_docs(normalized))
    return finish_year(normalized, year, result, failed)


def finish_year(
    normalized: pl.DataFrame, year: str, result: ParseResult, failed: list[tuple[str, str]]
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """The staging frames of one year from its parse: reports that are not reports and parser
    failures quarantined, year-folder mismatches flagged, files and geography joined."""
    reports = result.reports
    # A report without tables is still a report if it names itself one (some publish only
    # words); a page that never speaks of 信息公开 (a site's news list) is not.
    about = normalized.select(
        doc_id="report_id", about=pl.col("text").fill_null("").str.contains("信息公开")
    )
    no_table = ~pl.col("table2_present") & ~pl.col("table3_present") & ~pl.col("table4_present")
    unnamed = pl.col("agency").is_null() & pl.col("year").is_null()
    found = reports.join(about, on="doc_id", how="left")
    quarantined = dict(failed)
    quarantined.update(
        {
            d: "not a report: no table, agency or reporting year found"
            for d in found.filter(no_table & unnamed)["doc_id"]
        }
    )
    quarantined.update(
        {
            d: "not a report: no table, and no word of 信息公开 (a web page of another kind?)"
            for d in found.filter(no_table & ~unnamed & ~pl.col("about").fill_null(False))["doc_id"]
        }
    )
    folder_year = int(year)
    extra_issues = [
        {
            "doc_id": d,
            "code": "year_folder_mismatch",
            "severity": "warning",
            "rule": "S-1",
            "message": f"the text reports year {y} but the file is in folder {year}",
            "line": None,
        }
        for d, y in reports.select("doc_id", "year").iter_rows()
        if y is not None and y != folder_year and d not in quarantined
    ]
    issues = pl.concat(
        [result.issues, pl.DataFrame(extra_issues, schema=SCHEMAS["issues"], orient="row")]
    )
    keep = ~pl.col("doc_id").is_in(list(quarantined))
    files = normalized.select("report_id", "sha256", "file", "paths", "source_url")
    frames: dict[str, pl.DataFrame] = {}
    for table, part in STAGING_TABLES.items():
        frame = issues if part == "issues" else getattr(result, part)
        frame = frame.filter(keep).rename({"doc_id": "report_id"})
        if part == "reports":
            frame = (
                frame.rename({"year": "report_year"})
                .join(files, on="report_id", how="left")
                .join(geography(frame["agency"].to_list()), on="agency", how="left")
            )
        frames[table] = frame.select(pl.lit(folder_year, dtype=pl.Int32).alias("year"), pl.all())
    parse_quarantine = pl.DataFrame(
        [{"year": folder_year, "report_id": d, "reason": r} for d, r in quarantined.items()],
        schema=PARSE_QUARANTINE_SCHEMA,
        orient="row",
    )
    return frames, parse_quarantine


# ---------------------------------------------------------------------------------------------
# Fate of every file


def file_fates(
    raw_files: pl.DataFrame, parse_quarantine: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """raw_files with each path's status (staged or quarantined) and reason, and the quarantine
    table: one row per quarantined path. Every path found is exactly one of the two."""
    fates = raw_files.join(
        parse_quarantine.select("report_id", parse_reason="reason"), on="report_id", how="left"
    ).with_columns(
        status=pl.when(pl.col("decode_error").is_not_null() | pl.col("parse_reason").is_not_null())
        .then(pl.lit("quarantined"))
        .otherwise(pl.lit("staged")),
        reason=pl.coalesce("decode_error", "parse_reason"),
        stage=pl.when(pl.col("decode_error").is_not_null())
        .then(pl.lit("ingest"))
        .when(pl.col("parse_reason").is_not_null())
        .then(pl.lit("parse")),
    )
    quarantine = (
        fates.filter(pl.col("status") == "quarantined")
        .select(list(QUARANTINE_SCHEMA))
        .cast(QUARANTINE_SCHEMA)
    )
    return fates.drop("parse_reason", "stage"), quarantine


def staging_frames(lake: Path, year: str) -> dict[str, pl.DataFrame]:
    """Every warehouse table's rows for one year, from the lake: raw_files with each path's
    fate, quarantine, and the stg_* tables."""
    parsed = read_partitions(lake, year, list(PARSED_TABLES))
    raw_files, quarantine = file_fates(
        read_partitions(lake, year, list(INGEST_TABLES))["raw_files"],
        parsed.pop("parse_quarantine"),
    )
    return {"raw_files": raw_files, "quarantine": quarantine, **parsed}


def staged_source(lake: Path, year: str) -> str | None:
    """The input digest of the year's warehouse rows (staging_frames): None unless the ingest
    and the parse outputs are whole and made from the same input."""
    ingested = source_of(lake, year, list(INGEST_TABLES))
    return ingested if ingested and ingested == source_of(lake, year, list(PARSED_TABLES)) else None
