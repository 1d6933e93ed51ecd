"""The benchmark runs end to end (CI runs it on a small corpus); no test asserts a time."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from dagster_project import bench
from dagster_project.lake import GENERATION, write_partition
from dagster_project.paths import DataPaths
from dagster_project.pipeline import (
    ingest_partition,
    normalize_partition,
    parse_partition,
    parse_year,
    read_manifest,
)
from tests.conftest import SAMPLE_RAW

SUMMARY = re.compile(
    r"^bench (\d+) reports: parse (\d+) reports/s \((\d+\.\d)x floor\), "
    r"pipeline (\d+) s, peak (\d+\.\d\d) GiB$"
)


def test_the_benchmark_runs_on_a_small_corpus(tmp_path: Path) -> None:
    lines = list(bench.run(tmp_path / "bench", (120,)))
    assert SUMMARY.match(lines[-1]), lines[-1]
    stages = [line.split()[0] for line in lines[2:-2]]
    assert stages == [*bench.STAGES, "pipeline", "pipeline_rerun"]
    # the corpus holds the bad files real crawls have, and is reused
    raw = tmp_path / "bench" / "corpus-120-seed0" / "raw"
    files = sorted(raw.rglob("*.txt"))
    assert len(files) == 120
    assert any(p.read_bytes().startswith(b"%PDF") for p in files)
    assert bench.corpus(tmp_path / "bench", 120) == raw


def test_a_corpus_is_made_again_when_the_generator_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = bench.corpus(tmp_path, 10)
    made = (raw.parent / "READY").stat().st_mtime_ns
    assert bench.corpus(tmp_path, 10) == raw
    assert (raw.parent / "READY").stat().st_mtime_ns == made  # reused
    monkeypatch.setattr(bench, "_generator_version", lambda: "another")
    assert bench.corpus(tmp_path, 10) == raw
    assert (raw.parent / "READY").stat().st_mtime_ns != made  # made again
    assert len(list(raw.rglob("*.txt"))) == 10


def test_content_hashes_decide_what_is_parsed_again(tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw"
    shutil.copytree(SAMPLE_RAW, raw)
    paths = DataPaths.resolve(raw.parent)
    manifest, _ = read_manifest(paths)

    def parse(year: str) -> tuple[dict[str, pl.DataFrame], int]:
        ingest_partition(paths, year, manifest)
        normalize_partition(paths, year)
        frames, _, parsed_now = parse_partition(paths, year)
        return frames, parsed_now

    first, parsed = parse("2020")
    assert parsed == 4
    again, parsed = parse("2020")
    assert parsed == 0  # nothing changed: nothing parsed
    for table, frame in first.items():
        assert again[table].equals(frame), table
    # one file added: that file is parsed, not the year
    shutil.copy(SAMPLE_RAW / "2024" / "huaian-municipal-government-2024.txt", raw / "2020")
    grown, parsed = parse("2020")
    assert parsed == 1 and grown["stg_reports"].height == 5
    # the same as parsing the year from scratch
    normalized = pl.read_parquet(paths.lake / "normalized_reports" / "year=2020" / "data.parquet")
    scratch, _ = parse_year(normalized, "2020")
    key = {"stg_reports": "report_id", "stg_table3_cells": ["report_id", "row_key", "col_key"]}
    for table, columns in key.items():
        assert grown[table].sort(columns).equals(scratch[table].sort(columns)), table
    # a manifest hint changes the parse: that report is parsed again
    listed = (raw / "manifest.csv").read_text(encoding="utf-8")
    (raw / "manifest.csv").write_text(
        listed.replace("温州市统计局", "温州市某局"), encoding="utf-8"
    )
    manifest, _ = read_manifest(paths)
    hinted, parsed = parse("2020")
    assert parsed == 1
    assert "温州市某局" in hinted["stg_reports"]["agency"].to_list()

    # a cache left half-written (one table from another write) is not trusted: when the year
    # is parsed again (here for its manifest), every report is
    keys = pl.read_parquet(paths.lake / "parse_cache_keys" / "year=2020" / "data.parquet")
    write_partition(paths.lake, "parse_cache_keys", "2020", keys, {GENERATION: "another-run"})
    (raw / "manifest.csv").write_text(listed, encoding="utf-8")
    manifest, _ = read_manifest(paths)
    _, parsed = parse("2020")
    assert parsed == 5
    _, parsed = parse("2020")
    assert parsed == 0


def test_an_unchanged_year_is_not_rewritten(tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw"
    shutil.copytree(SAMPLE_RAW, raw)
    paths = DataPaths.resolve(raw.parent)
    manifest, _ = read_manifest(paths)
    ingest_partition(paths, "2020", manifest)
    normalize_partition(paths, "2020")
    parse_partition(paths, "2020")
    lake = sorted(paths.lake.rglob("*.parquet"))
    written = {p: p.stat().st_mtime_ns for p in lake}
    _, changed = ingest_partition(paths, "2020", manifest)
    assert not changed and normalize_partition(paths, "2020") is None
    assert parse_partition(paths, "2020")[2] == 0
    assert {p: p.stat().st_mtime_ns for p in lake} == written
    # the same bytes under a changed content: the year is redone from ingest on
    report = raw / "2020" / "guangzhou-municipal-government-2020.txt"
    report.write_bytes(report.read_bytes().replace(b"18291", b"18292"))
    _, changed = ingest_partition(paths, "2020", manifest)
    assert changed and normalize_partition(paths, "2020") is not None
    assert parse_partition(paths, "2020")[2] == 1


def test_the_documents_benchmark_reads_every_kind(tmp_path: Path) -> None:
    from dagster_project import office

    lines = bench.measure_documents(tmp_path, 3)
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert set(rows) == set(bench.DOCUMENT_KINDS)
    for kind in ("docx", "html"):
        assert rows[kind][1] == "3" and float(rows[kind][4]) > 0
    if office.available():
        assert float(rows["pdf"][5]) > 0  # pages per second
    else:
        assert "not installed" in lines[-1]
