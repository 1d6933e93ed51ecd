"""The stage functions shared by the assets and the CLI: manifest, ingest, parse, fates."""

from __future__ import annotations

import socket
from pathlib import Path

import polars as pl
import pytest

from dagster_project.cli import run_pipeline
from dagster_project.paths import DataPaths
from dagster_project.pipeline import ingest_year, normalize_texts, parse_year, read_manifest


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
