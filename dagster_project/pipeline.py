"""The stages of one reporting year, as plain functions the assets and the CLI share.

ingest (files → raw_files, raw_texts) → normalise (→ normalized_reports) → parse (→ stg_*) →
staging frames (raw_files with their fate, quarantine). No Dagster and no warehouse here.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import polars as pl

from dagster_project.gazetteer import geography
from dagster_project.parsing.decode import decode_bytes
from dagster_project.parsing.normalize import normalize_frame
from dagster_project.parsing.parse import SCHEMAS, ParseResult, parse_batch
from dagster_project.paths import DataPaths

RAW_FILES_SCHEMA: dict[str, pl.DataType] = {
    "year": pl.Int32,
    "path": pl.String,
    "size": pl.Int64,
    "sha256": pl.String,
    "report_id": pl.String,
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
    """Every file under raw/<year>/, in a stable order."""
    folder = paths.raw / year
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file())


def ingest_year(
    paths: DataPaths, year: str, manifest: dict[str, dict]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Register every file of a year (raw_files, one row per path) and decode each distinct
    content once (raw_texts, one row per sha256)."""
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
                encoding=first["encoding"],
                decode_error=first["decode_error"],
                duplicate_of=first["file"],
            )
        else:
            decoded = decode_bytes(data)
            row.update(encoding=decoded.encoding, decode_error=decoded.error)
            texts[sha] = {
                "year": int(year),
                "report_id": row["report_id"],
                "sha256": sha,
                "file": rel,
                "paths": [rel],
                "original": decoded.text,
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


# ---------------------------------------------------------------------------------------------
# Parse


def _parse_isolating(docs: pl.DataFrame) -> tuple[ParseResult, list[tuple[str, str]]]:
    """Parse the batch; if it fails, parse each report alone so one bad file fails alone."""
    try:
        return parse_batch(docs), []
    except Exception:  # noqa: BLE001 - a parser bug must not stop the batch
        parts, failed = [], []
        for i in range(docs.height):
            one = docs.slice(i, 1)
            try:
                parts.append(parse_batch(one))
            except Exception as exc:  # noqa: BLE001
                failed.append((one["doc_id"][0], f"parser error: {type(exc).__name__}: {exc}"))
        return ParseResult.concat(parts), failed


def parse_year(normalized: pl.DataFrame, year: str) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """The staging frames of one year and the reports quarantined at parse time."""
    docs = normalized.select(
        doc_id="report_id",
        text="text",
        agency_hint="manifest_agency",
        year_hint="manifest_year",
    )
    result, failed = _parse_isolating(docs)
    reports = result.reports
    not_reports = reports.filter(
        ~pl.col("table2_present")
        & ~pl.col("table3_present")
        & ~pl.col("table4_present")
        & pl.col("agency").is_null()
        & pl.col("year").is_null()
    )["doc_id"].to_list()
    quarantined = dict(failed)
    quarantined.update(
        {d: "not a report: no table, agency or reporting year found" for d in not_reports}
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
