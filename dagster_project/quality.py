"""Great Expectations suites over per-report ledgers: the suites are YAML files in
`expectations/`; each names the SQL that computes its ledger in DuckDB (one row per report, or
per report × rule × group, with both sides of every identity already worked out) and the
expectations that ledger must meet.

Arithmetic happens in SQL, so the expectations stay simple (a difference between 0 and 0) and
fast at 100,000 reports; Great Expectations runs on pandas frames of the ledger, one year (or
part of a year) at a time, in an ephemeral context that keeps nothing between runs. Each
failing row names its report (agency, year, file) and rule id.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import yaml

from dagster_project.paths import SUITES_DIR

SEVERITIES = ("error", "warn")
# Great Expectations validates a ledger one year at a time, and a year of more reports than
# this in parts; the ledger itself waits in a DuckDB temporary table.
BATCH_REPORTS = 20_000
LEDGER = "xxgk_ledger"


@dataclass(frozen=True)
class Expectation:
    """One expectation of a suite: a Great Expectations expectation type and its arguments,
    the rule id it enforces, an optional row condition and the severity of a failure."""

    rule_id: str
    type: str
    kwargs: dict[str, Any]
    description: str
    # Only rows where this column has this value, e.g. {"rule_id": "T3-1"}.
    where: dict[str, Any] | None = None
    severity: str = "error"
    # Whether too large a share of a year's reports failing it turns a warning into an error.
    escalates: bool = True


@dataclass(frozen=True)
class Suite:
    """A suite as written in `expectations/<name>.yml`."""

    name: str
    description: str
    ledger: str
    index: tuple[str, ...]
    expectations: tuple[Expectation, ...]
    max_broken_share: float = 0.05
    min_reports: int = 20

    @classmethod
    def load(cls, name: str, directory: Path = SUITES_DIR) -> Suite:
        """The suite `name` from its YAML file; a malformed file raises ValueError."""
        path = directory / f"{name}.yml"
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        try:
            default = spec.get("severity", "error")
            expectations = tuple(
                Expectation(
                    rule_id=e["rule_id"],
                    type=e["expectation"],
                    kwargs=dict(e.get("kwargs", {})),
                    description=e["description"],
                    where=e.get("where"),
                    severity=e.get("severity", default),
                    escalates=e.get("escalates", True),
                )
                for e in spec["expectations"]
            )
            escalation = spec.get("escalate", {})
            suite = cls(
                name=spec["name"],
                description=spec["description"].strip(),
                ledger=spec["ledger"],
                index=tuple(spec["index"]),
                expectations=expectations,
                max_broken_share=float(escalation.get("max_broken_share", 0.05)),
                min_reports=int(escalation.get("min_reports", 20)),
            )
        except (KeyError, TypeError) as err:
            raise ValueError(f"{path}: malformed suite ({err!r})") from err
        if suite.name != name:
            raise ValueError(f"{path}: the suite is named {suite.name!r}, not {name!r}")
        bad = [e.rule_id for e in expectations if e.where is not None and len(e.where) != 1]
        if bad:
            raise ValueError(f"{path}: `where` names one column and its value (rules {bad})")
        bad = [e.rule_id for e in expectations if e.severity not in SEVERITIES]
        if bad:
            raise ValueError(f"{path}: severity must be one of {SEVERITIES} (rules {bad})")
        return suite


def suite_names(directory: Path = SUITES_DIR) -> list[str]:
    """The names of the suites in `expectations/`."""
    return sorted(p.stem for p in directory.glob("*.yml"))


@dataclass
class Validation:
    """The outcome of one suite over one warehouse: what failed, for which reports, and
    whether that is a warning (findings in the sources) or an error."""

    suite: str
    ledger_rows: int
    reports: int
    # Per rule id: expectations run, expectations failed, rows checked, rows failing.
    rules: dict[str, dict[str, int]]
    # One row per failing ledger row: rule id, severity, expectation and the suite's index.
    findings: list[dict[str, Any]]
    # Per escalating rule that failed: reports checked and reports breaking it, per year.
    shares: dict[str, dict[str, dict[str, float]]]
    escalated: list[str]
    docs: Path | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings and not self.errors

    @property
    def severity(self) -> str | None:
        """`error` when a structural rule failed or too many reports break an identity,
        `warn` when only findings in the sources failed, None when everything passed."""
        if self.passed:
            return None
        if self.errors or self.escalated:
            return "error"
        return "error" if any(f["severity"] == "error" for f in self.findings) else "warn"

    def summary(self) -> str:
        """One line: the rules that failed and the reports that fail them (or how many)."""
        if self.passed:
            return f"every expectation met over {self.reports} reports"
        broken: dict[str, set] = defaultdict(set)
        for f in self.findings:
            if f.get("report_id") is not None:
                broken[f["rule_id"]].add((f.get("agency"), f.get("year"), f["report_id"]))
            else:
                broken.setdefault(f["rule_id"], set())
        parts = []
        for rule, reports in sorted(broken.items()):
            named = sorted(f"{agency} {year}" for agency, year, _ in reports)
            shown = ", ".join(named) if len(named) <= 3 else f"{len(named)} reports"
            parts.append(f"{rule} broken in {shown}" if named else f"{rule} failed")
        parts += self.errors
        if self.escalated:
            parts.append(f"share of reports over the threshold for {', '.join(self.escalated)}")
        return "; ".join(parts)


def validate(
    suite: Suite,
    con: duckdb.DuckDBPyConnection,
    *,
    docs_dir: Path | None = None,
    frames: dict[str, pl.DataFrame] | None = None,
    max_broken_share: float | None = None,
    min_reports: int | None = None,
    batch_reports: int = BATCH_REPORTS,
) -> Validation:
    """Computes the suite's ledger on `con`, validates it with Great Expectations one batch at a
    time and, given `docs_dir`, renders the results there as Data Docs (replacing what was
    there).

    A batch is one year's ledger, or a part of it holding at most about `batch_reports`
    reports: every row of a report is in the same batch, so memory is bounded by a batch, not
    by the corpus, and a duplicated report id is still seen by a uniqueness expectation."""
    for name, frame in (frames or {}).items():
        con.register(name, frame.to_arrow())
    con.execute(f"create or replace temp table {LEDGER} as {suite.ledger}")
    try:
        columns = [d[0] for d in con.execute(f"select * from {LEDGER} limit 0").description]
        missing = [c for c in suite.index if c not in columns]
        if missing:
            raise ValueError(f"suite {suite.name}: the ledger lacks index columns {missing}")
        rows, reports, checked = _ledger_counts(con, columns)
        outcomes = [_Outcome() for _ in suite.expectations]
        for label, results in _run_great_expectations(
            suite, _batches(con, columns, checked, batch_reports), docs_dir
        ):
            for outcome, result in zip(outcomes, results, strict=True):
                outcome.add(result, label)
    finally:
        con.execute(f"drop table if exists {LEDGER}")

    rules: dict[str, dict[str, int]] = {}
    findings: list[dict[str, Any]] = []
    errors: list[str] = []
    for expectation, outcome in zip(suite.expectations, outcomes, strict=True):
        stats = rules.setdefault(
            expectation.rule_id, {"expectations": 0, "failed": 0, "rows": 0, "failing_rows": 0}
        )
        stats["expectations"] += 1
        stats["rows"] += outcome.rows
        stats["failing_rows"] += len(outcome.failing)
        if outcome.exceptions:
            errors.append(
                f"{expectation.rule_id} ({expectation.description}) could not run: "
                f"{'; '.join(outcome.exceptions)}"
            )
        if outcome.exceptions or outcome.failed:
            stats["failed"] += 1
        described = {
            "rule_id": expectation.rule_id,
            "severity": expectation.severity,
            "expectation": expectation.description,
        }
        for row in outcome.failing:
            findings.append({**described, **{c: _plain(row.get(c)) for c in suite.index}})
        if outcome.failed and not outcome.failing:
            findings.append(described)  # a table-level expectation (unique values) names no row
    findings.sort(key=lambda f: tuple(str(f.get(k)) for k in ("rule_id", *suite.index)))

    shares, escalated = _shares(
        suite,
        checked,
        findings,
        suite.max_broken_share if max_broken_share is None else max_broken_share,
        suite.min_reports if min_reports is None else min_reports,
    )
    return Validation(
        suite=suite.name,
        ledger_rows=rows,
        reports=reports,
        rules=rules,
        findings=findings,
        shares=shares,
        escalated=escalated,
        docs=(docs_dir / "index.html") if docs_dir else None,
        errors=errors,
    )


@dataclass
class _Outcome:
    """One expectation's results over every batch of a ledger."""

    rows: int = 0
    failed: bool = False
    failing: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)

    def add(self, result: Any, batch: str) -> None:
        self.rows += int(result.result.get("element_count") or 0)
        if result.exception_info and result.exception_info.get("raised_exception"):
            self.exceptions.append(f"{batch}: {result.exception_info.get('exception_message')}")
        elif not result.success:
            self.failed = True
            self.failing += result.result.get("unexpected_index_list") or []


def _ledger_counts(
    con: duckdb.DuckDBPyConnection, columns: list[str]
) -> tuple[int, int, dict[int | None, int]]:
    """Rows and reports of the ledger, and its reports per year (all under None when the ledger
    has no year)."""
    year = "year" if "year" in columns else "null"
    report = "report_id" if "report_id" in columns else "null"
    per_year = con.execute(
        f"select {year}, count(distinct {report}), count(*) from {LEDGER} group by all"
    ).fetchall()
    checked = {y: int(reports) for y, reports, _ in per_year}
    return sum(int(n) for *_, n in per_year), sum(checked.values()), checked


def _batches(
    con: duckdb.DuckDBPyConnection,
    columns: list[str],
    checked: dict[int | None, int],
    batch_reports: int,
) -> Iterator[tuple[str, Any]]:
    """(label, pandas frame) for each batch of the ledger, one year after another; a year of
    more than `batch_reports` reports is cut into parts by a hash of the report id. Strings
    become categoricals: a ledger repeats each report's agency and file on every row."""
    if not checked:
        checked = {None: 0}  # an empty ledger is still validated (and documented) once
    for year, reports in sorted(checked.items(), key=lambda item: str(item[0])):
        parts = max(1, -(-reports // batch_reports)) if "report_id" in columns else 1
        for part in range(parts):
            conditions, params = [], []
            if year is not None:
                conditions.append("year = ?")
                params.append(year)
            if parts > 1:
                conditions.append("hash(report_id) % ? = ?")
                params += [parts, part]
            where = f"where {' and '.join(conditions)}" if conditions else ""
            arrow = con.sql(f"select * from {LEDGER} {where}", params=params).to_arrow_table()
            label = "all-years" if year is None else f"year-{year}"
            if parts > 1:
                label += f"-part-{part + 1}-of-{parts}"
            yield label, arrow.to_pandas(strings_to_categorical=True)


def _shares(
    suite: Suite,
    checked: dict[int | None, int],
    findings: list[dict[str, Any]],
    max_share: float,
    min_reports: int,
) -> tuple[dict[str, dict[str, dict[str, float]]], list[str]]:
    """For each escalating warning rule that failed, the share of each year's reports that
    break it; a rule escalates when, in a year with at least `min_reports` reports, that share
    exceeds `max_share` (a source rarely breaks an identity; many reports at once smell of a
    parser regression)."""
    if not {"report_id", "year"} <= set(suite.index):
        return {}, []
    by_rule = {e.rule_id: e for e in suite.expectations}
    broken: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for f in findings:
        rule = by_rule[f["rule_id"]]
        if rule.severity == "warn" and rule.escalates and f.get("report_id") is not None:
            broken[f["rule_id"]][str(f["year"])].add(f["report_id"])
    shares: dict[str, dict[str, dict[str, float]]] = {}
    escalated: list[str] = []
    for rule_id, years in sorted(broken.items()):
        shares[rule_id] = {}
        for year, ids in sorted(years.items()):
            total = checked.get(int(year), 0)
            share = len(ids) / total if total else 0.0
            shares[rule_id][year] = {"reports": total, "broken": len(ids), "share": share}
            if total >= min_reports and share > max_share and rule_id not in escalated:
                escalated.append(rule_id)
    return shares, escalated


def _plain(value: Any) -> Any:
    """A JSON-friendly Python value from a pandas/numpy cell: integral floats back to int,
    NaN to None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return int(value)
    return value


def _run_great_expectations(
    suite: Suite, batches: Iterable[tuple[str, Any]], docs_dir: Path | None
) -> list[tuple[str, list[Any]]]:
    """Runs the suite on each (label, ledger frame) batch in one fresh ephemeral context;
    returns, per batch, its label and one ExpectationValidationResult per expectation, in the
    suite's order. Data Docs show one validation per batch, named by its label."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx  # deferred: 3 s and 260 MB to import
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
    )
    from great_expectations.expectations.row_conditions import Column

    building = None
    sites = {}
    if docs_dir is not None:
        docs_dir.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{suite.name}-", dir=docs_dir.parent))
        sites["xxgk"] = {
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(building),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    config = DataContextConfig(
        # in-memory stores and no default docs site in a temporary folder
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars={"globally": False},
    )
    context = gx.get_context(mode="ephemeral", project_config=config)
    batch = (
        context.data_sources.add_pandas("xxgk")
        .add_dataframe_asset(suite.name)
        .add_batch_definition_whole_dataframe("ledger")
    )
    gx_suite = context.suites.add(
        gx.ExpectationSuite(name=suite.name, meta={"notes": suite.description})
    )
    for e in suite.expectations:
        kwargs = dict(e.kwargs)
        if e.where:
            ((column, value),) = e.where.items()
            kwargs["row_condition"] = Column(column) == value
        gx_suite.add_expectation(
            _expectation_class(gx, e.type)(
                **kwargs,
                meta={"rule_id": e.rule_id, "severity": e.severity, "notes": e.description},
            )
        )
    definition = gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
    checkpoint = gx.Checkpoint(
        name=suite.name,
        validation_definitions=[context.validation_definitions.add(definition)],
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": list(suite.index),
            "return_unexpected_index_query": False,
        },
    )
    checkpoint = context.checkpoints.add(checkpoint)
    validated = []
    try:
        for label, frame in batches:
            outcome = checkpoint.run(
                batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name=label)
            )
            del frame  # before the next batch is read
            (run,) = outcome.run_results.values()
            by_id = {r.expectation_config.id: r for r in run.results}
            validated.append((label, [by_id[e.id] for e in gx_suite.expectations]))
    except BaseException:
        if building is not None:
            shutil.rmtree(building, ignore_errors=True)
        raise
    if building is not None:
        # rendered once, from every batch's result in the context's store
        context.build_data_docs(site_names=["xxgk"])
        _swap(building, docs_dir)
    return validated


def _expectation_class(gx: Any, name: str) -> type:
    """`expect_column_values_to_be_between` → gx.expectations.ExpectColumnValuesToBeBetween."""
    class_name = "".join(part.capitalize() for part in name.split("_"))
    try:
        return getattr(gx.expectations, class_name)
    except AttributeError:
        raise ValueError(f"unknown expectation {name!r}") from None


def _swap(built: Path, target: Path) -> None:
    """Puts a freshly built folder in place of `target`: readers see the old site or the new
    one, and no page of an earlier run survives."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    built.rename(target)
    shutil.rmtree(old, ignore_errors=True)
