"""Ingest assets: raw files registered and decoded, then normalised; Parquet per year."""

from collections import Counter

import dagster as dg
import polars as pl

from dagster_project.partitions import single_run, year_partitions
from dagster_project.pipeline import ingest_partition, normalize_partition, read_manifest
from dagster_project.resources import XxgkData


@dg.asset(
    partitions_def=year_partitions,
    backfill_policy=single_run,
    group_name="ingest",
    kinds={"python", "parquet"},
)
def raw_reports(context: dg.AssetExecutionContext, xxgk: XxgkData) -> dg.MaterializeResult:
    """Every file under raw/<year>/ registered with its size, sha256, kind (PDF, HTML, Word,
    text), encoding and read result.

    Grain: lake `raw_files` has one row per path; lake `raw_texts` one row per distinct content,
    so a file copied under two names is decoded and parsed once, with both paths.
    """
    paths = xxgk.paths()
    manifest, problems = read_manifest(paths)
    for problem in problems:
        context.log.warning(problem)
    files = distinct = failed = size = 0
    encodings: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    unchanged = []
    for year in context.partition_keys:
        raw_files, changed = ingest_partition(paths, year, manifest)
        if not changed:
            unchanged.append(year)
        first = raw_files.filter(pl.col("duplicate_of").is_null())
        files += raw_files.height
        distinct += first.height
        size += int(raw_files["size"].sum() or 0)
        failed += first["decode_error"].is_not_null().sum()
        encodings.update(e for e in first["encoding"].to_list() if e)
        kinds.update(k or "unknown" for k in first["kind"].to_list())
        reasons.update(r.split(":")[0] for r in first["decode_error"].drop_nulls().to_list())
    return dg.MaterializeResult(
        metadata={
            "files": files,
            "distinct_contents": distinct,
            "duplicate_paths": files - distinct,
            "undecodable": int(failed),
            "bytes": size,
            "kinds": dg.MetadataValue.json(dict(kinds)),
            "encodings": dg.MetadataValue.json(dict(encodings)),
            "undecodable_reasons": dg.MetadataValue.json(dict(reasons)),
            "manifest_problems": dg.MetadataValue.json(problems),
            # same files, manifest rows and parser as the lake was made from: nothing rewritten
            "years_unchanged": dg.MetadataValue.json(unchanged),
            "lake": dg.MetadataValue.path(str(paths.lake / "raw_files")),
        }
    )


@dg.asset(
    deps=[raw_reports],
    partitions_def=year_partitions,
    backfill_policy=single_run,
    group_name="ingest",
    kinds={"python", "polars", "parquet"},
)
def normalized_reports(context: dg.AssetExecutionContext, xxgk: XxgkData) -> dg.MaterializeResult:
    """Decoded texts normalised for parsing (HTML removed, NFKC, Traditional→Simplified,
    pinyin glosses and page marks removed), line for line, with the original kept alongside.

    Grain: one row per distinct report content and year.
    """
    paths = xxgk.paths()
    reports = changed = 0
    unchanged = []
    for year in context.partition_keys:
        normalized = normalize_partition(paths, year)
        if normalized is None:
            unchanged.append(year)
            continue
        reports += normalized.height
        changed += normalized.filter(pl.col("original") != pl.col("text")).height
    return dg.MaterializeResult(
        metadata={
            "reports_normalised": reports,
            "reports_changed_by_normalisation": changed,
            "years_unchanged": dg.MetadataValue.json(unchanged),
            "lake": dg.MetadataValue.path(str(paths.lake / "normalized_reports")),
        }
    )
