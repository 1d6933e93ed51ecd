"""Asset checks that run the Great Expectations suites of `expectations/` on the warehouse.

Policy: a structural failure (the parser lost cells, keys duplicated) is an ERROR that blocks
the warehouse build; an identity the source report breaks is a WARN naming the reports, rules
and values (dim_report leaves such reports out of the certified facts); too large a share of
a year's reports breaking one rule turns the WARN into an ERROR. Every check is blocking, so an
ERROR also keeps the analysts' published warehouse as it was.
"""

import dagster as dg
from pydantic import Field

from dagster_project import quality, quality_docs, warehouse
from dagster_project.parsing.reference import form_cells
from dagster_project.resources import XxgkData

# How many failing rows a check's metadata lists; all of them are in the quality report.
LISTED_FINDINGS = 50


class SuiteConfig(dg.Config):
    """Overrides of a suite's escalation threshold for one run (the suite file holds the
    defaults)."""

    max_broken_share: float | None = Field(
        default=None,
        description="Share of a year's reports that may break one identity before the "
        "warning becomes an error (suite default: 0.05).",
    )
    min_reports: int | None = Field(
        default=None,
        description="Years with fewer reports never escalate (suite default: 20).",
    )


def run_suite(name: str, xxgk: XxgkData, config: SuiteConfig | None = None) -> dg.AssetCheckResult:
    """Validates suite `name` on the data folder's warehouse, writes its quality report under
    docs/quality/ (and Great Expectations' Data Docs under docs/expectations/<name>/) and
    returns the check result with the failing rows and a link to the report."""
    paths = xxgk.paths()
    suite = quality.Suite.load(name)
    config = config or SuiteConfig()
    with warehouse.connect(paths.warehouse, read_only=True) as con:
        result = quality.validate(
            suite,
            con,
            docs_dir=paths.docs / "expectations" / name,
            frames={"form_cells": form_cells()},
            max_broken_share=config.max_broken_share,
            min_reports=config.min_reports,
        )
    page = quality_docs.write(suite, result, paths.docs)
    severity = (
        dg.AssetCheckSeverity.ERROR if result.severity == "error" else dg.AssetCheckSeverity.WARN
    )
    metadata = {
        "rules": dg.MetadataValue.json(result.rules),
        "reports_checked": dg.MetadataValue.int(result.reports),
        "ledger_rows": dg.MetadataValue.int(result.ledger_rows),
        "failing_rows": dg.MetadataValue.int(len(result.findings)),
        "findings": dg.MetadataValue.md(_findings_table(result, suite.index)),
        "findings_json": dg.MetadataValue.json(result.findings[:LISTED_FINDINGS]),
        "broken_share_by_year": dg.MetadataValue.json(result.shares),
        "escalated_rules": dg.MetadataValue.json(result.escalated),
        "quality_report": dg.MetadataValue.url(quality_docs.docs_url(f"quality/{page.name}")),
        "quality_report_path": dg.MetadataValue.path(str(page)),
        "data_docs_path": dg.MetadataValue.path(str(result.docs)),
    }
    return dg.AssetCheckResult(
        passed=result.passed,
        severity=severity,
        description=result.summary(),
        metadata=metadata,
    )


def _findings_table(result: quality.Validation, index: tuple[str, ...]) -> str:
    """The first failing rows as a markdown table, with the rule id first."""
    if not result.findings:
        return "No failing rows."
    columns = ["rule_id", *(c for c in index if c != "rule_id")]
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for f in result.findings[:LISTED_FINDINGS]:
        lines.append("| " + " | ".join(str(f.get(c, "")) for c in columns) + " |")
    if len(result.findings) > LISTED_FINDINGS:
        lines.append(f"\n… {len(result.findings) - LISTED_FINDINGS} more in the quality report.")
    return "\n".join(lines)


@dg.asset_check(asset="stg_reports", blocking=True, pool=warehouse.POOL)
def staging_structure(xxgk: XxgkData) -> dg.AssetCheckResult:
    """S-1, S-2 and unique keys over every staged report (suite `staging_structure`): an
    ERROR that stops the warehouse build when the parser lost or duplicated cells."""
    return run_suite("staging_structure", xxgk)


@dg.asset_check(asset="dim_report", blocking=True, pool=warehouse.POOL)
def report_identities(xxgk: XxgkData, config: SuiteConfig) -> dg.AssetCheckResult:
    """T3-1, T3-2, T3-3, T4-1 and T2-1 for every report × group (suite `report_identities`):
    WARN naming each report that breaks one, ERROR when a year has too many."""
    return run_suite("report_identities", xxgk, config)


@dg.asset_check(asset="dim_report", blocking=True, pool=warehouse.POOL)
def narrative(xxgk: XxgkData, config: SuiteConfig) -> dg.AssetCheckResult:
    """N-1 for every figure stated in a report's text (suite `narrative`)."""
    return run_suite("narrative", xxgk, config)


@dg.asset_check(asset="rpt_cross_year", blocking=True, pool=warehouse.POOL)
def cross_year(xxgk: XxgkData, config: SuiteConfig) -> dg.AssetCheckResult:
    """X-1 (and X-2, X-3 as warnings) for every agency's consecutive years (suite
    `cross_year`)."""
    return run_suite("cross_year", xxgk, config)
