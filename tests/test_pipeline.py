"""The stage functions shared by the assets and the CLI: manifest, ingest, parse, fates."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path

import polars as pl
import pytest

from dagster_project import pipeline
from dagster_project.cli import run_pipeline
from dagster_project.faults import ENV
from dagster_project.parsing.frames import ParseResult
from dagster_project.paths import DataPaths
from dagster_project.pipeline import ingest_year, normalize_texts, parse_year, read_manifest
from dagster_project.synth import generate


def test_manifest_rows_outside_raw_are_refused(data_dir: DataPaths) -> None:
    data_dir.manifest.write_text(
        "path,agency,year,source_url\n"
        "../../etc/passwd,x,2020,\n"
        "/etc/hosts,x,2020,\n"
        "2020/dongguan-statistics-bureau-2020.txt,东莞市统计局,20x0,\n"
        ",无路径,2020,\n",
        encoding="utf-8",
    )
    rows, problems = read_manifest(data_dir)
    assert list(rows) == ["2020/dongguan-statistics-bureau-2020.txt"]
    assert rows["2020/dongguan-statistics-bureau-2020.txt"]["manifest_year"] is None
    assert len(problems) == 4
    assert sum("outside raw/" in p for p in problems) == 2


def _parse(data_dir: DataPaths, year: str) -> dict[str, pl.DataFrame]:
    manifest, _ = read_manifest(data_dir)
    raw_files, texts = ingest_year(data_dir, year, manifest)
    frames, _ = parse_year(normalize_texts(texts), year)
    return frames


def test_manifest_agency_is_honoured_and_cross_checked(data_dir: DataPaths) -> None:
    data_dir.manifest.write_text(
        "path,agency,year,source_url\n"
        "2023/hongze-district-government-2023.txt,洪泽区政府办公室,2022,https://example.org/r\n",
        encoding="utf-8",
    )
    frames = _parse(data_dir, "2023")
    [report] = frames["stg_reports"].to_dicts()
    assert (report["agency"], report["agency_source"]) == ("洪泽区政府办公室", "manifest")
    assert report["agency_parsed"] == "淮安市洪泽区人民政府"
    assert report["source_url"] == "https://example.org/r"
    messages = frames["stg_parse_issues"].filter(pl.col("code") == "manifest_mismatch")["message"]
    assert sorted(messages.to_list()) == [
        "manifest agency 洪泽区政府办公室 differs from the text's 淮安市洪泽区人民政府",
        "manifest year 2022 differs from the text's 2023",
    ]


def test_year_folder_disagreeing_with_the_text_is_an_issue(data_dir: DataPaths) -> None:
    (data_dir.raw / "2023" / "hongze-district-government-2024.txt").write_bytes(
        (data_dir.raw / "2024" / "hongze-district-government-2024.txt").read_bytes()
    )
    issues = _parse(data_dir, "2023")["stg_parse_issues"]
    assert issues.filter(pl.col("code") == "year_folder_mismatch")["message"].to_list() == [
        "the text reports year 2024 but the file is in folder 2023"
    ]


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list:
    """Refuse and record every connection to an address off this machine."""
    attempts: list = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: object) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("::1", "localhost") or host.startswith("/")
        ):
            attempts.append(address)
            raise OSError("network disabled in tests")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def test_a_run_contacts_no_network(data_dir: DataPaths, no_network: list) -> None:
    results = run_pipeline(data_dir, log_level="ERROR")
    assert all(r.success for r in results.values())
    assert no_network == []


def test_the_network_guard_fires(no_network: list) -> None:
    with pytest.raises(OSError, match="network disabled"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    assert no_network == [("192.0.2.1", 80)]


def test_a_data_folder_with_only_a_published_warehouse_keeps_its_years(tmp_path: Path) -> None:
    import duckdb

    from dagster_project import warehouse

    paths = DataPaths.resolve(tmp_path / "data")
    paths.root.mkdir()
    with duckdb.connect(str(paths.published)) as con:  # the layout before the build copy
        con.execute("create table stg_reports as select 2019 as year, 'r1' as report_id")
    target = warehouse.working_copy(paths)
    assert target == paths.warehouse and target.exists()
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.execute("select year, report_id from stg_reports").fetchall() == [(2019, "r1")]
    # from then on the build copy is the pipeline's own: the published file is not read again
    paths.published.unlink()
    assert warehouse.working_copy(paths).exists()


@pytest.fixture
def fresh_workers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Parse workers started for this test only (they take the environment it sets)."""
    monkeypatch.setattr(pipeline, "PARALLEL_MIN", 1)
    monkeypatch.setenv(pipeline.WORKERS_ENV, "2")
    pipeline._worker_pool.cache_clear()
    yield
    if pipeline._worker_pool.cache_info().currsize:  # a pool that broke was dropped
        pipeline._worker_pool(2).shutdown()
    pipeline._worker_pool.cache_clear()


def _synthetic_docs(n: int) -> pl.DataFrame:
    texts = [generate(seed).text for seed in range(n)]
    return pl.DataFrame({"doc_id": [f"d{i}" for i in range(n)], "text": texts})


def _frames(result: ParseResult) -> dict[str, pl.DataFrame]:
    return {f.name: getattr(result, f.name).sort(pl.all(), nulls_last=True) for f in fields(result)}


@pytest.mark.parametrize("crash", [None, "parse.worker"])
def test_a_year_parsed_by_workers_equals_the_parse_in_one_process(
    fresh_workers: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    crash: str | None,
) -> None:
    """Batches go to two worker processes; a worker killed mid-batch costs time, not data:
    the batches are parsed again in this process."""
    if crash:
        monkeypatch.setenv(ENV, crash)
    docs = _synthetic_docs(30)
    alone, failed_alone = pipeline.parse_batch_isolating(docs)
    result, failed = pipeline._parse_isolating(docs)
    assert failed == failed_alone == []
    assert result.reports.height == 30
    died = [r for r in caplog.records if "parse worker died" in r.getMessage()]
    assert len(died) == (1 if crash else 0)
    # The pool that did the work is kept for the next year, unless it broke.
    assert pipeline._worker_pool.cache_info().currsize == (0 if crash else 1)
    for name, frame in _frames(result).items():
        assert frame.equals(_frames(alone)[name]), name


def test_the_worker_count_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pipeline.WORKERS_ENV, "two")
    with pytest.raises(ValueError, match="XXGK_PARSE_WORKERS must be a whole number"):
        pipeline.parse_workers()
    monkeypatch.setenv(pipeline.WORKERS_ENV, "0")
    assert pipeline.parse_workers() == 1


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_file_is_read_again_only_when_its_size_or_mtime_changes(data_dir: DataPaths) -> None:
    rel = "2020/dongguan-statistics-bureau-2020.txt"
    file = data_dir.raw / rel
    original = file.read_bytes()
    first = pipeline.file_hashes(data_dir, "2020")
    assert first[rel] == _sha(original) and len(first) == 4
    edited = original.replace(b"1", b"2", 1)
    assert len(edited) == len(original) and edited != original
    then = file.stat()
    file.write_bytes(edited)
    # same size and modification time as when it was hashed (the samples are old files): the
    # recorded hash stands and the file is not read
    os.utime(file, ns=(then.st_atime_ns, then.st_mtime_ns))
    assert pipeline.file_hashes(data_dir, "2020")[rel] == _sha(original)
    os.utime(file, ns=(then.st_atime_ns, then.st_mtime_ns + 1))
    assert pipeline.file_hashes(data_dir, "2020")[rel] == _sha(edited)


def test_a_file_modified_just_before_it_was_hashed_is_read_again(data_dir: DataPaths) -> None:
    """A rewrite within the same clock tick keeps the modification time, so a hash taken less
    than RACY_NS after the file changed is not trusted."""
    rel = "2020/dongguan-statistics-bureau-2020.txt"
    file = data_dir.raw / rel
    original = file.read_bytes()
    file.write_bytes(original)
    written = file.stat()
    assert pipeline.file_hashes(data_dir, "2020")[rel] == _sha(original)
    edited = original.replace(b"1", b"2", 1)
    file.write_bytes(edited)
    os.utime(file, ns=(written.st_atime_ns, written.st_mtime_ns))
    assert pipeline.file_hashes(data_dir, "2020")[rel] == _sha(edited)
