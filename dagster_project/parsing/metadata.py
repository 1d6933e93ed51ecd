"""The report's agency, reporting year and form version, from its title, a crawler's title
field, the first sentence or the statistics period; never from a publication date.
"""

from __future__ import annotations

import re
from collections import Counter

import polars as pl

from dagster_project.parsing.frames import HAN, make_issue
from dagster_project.parsing.labels import (
    FORMAT_MARKERS,
    format_for_year,
)

_AGENCY_SUFFIX = (
    r"(?:人民政府|政府|办公厅|办公室|局|委员会|委|厅|署|院|中心|所|会|办|处|队|站|馆|公司)"
)
# A remark in brackets may follow the name: 平潭综合实验区管委会（全区汇总年报）2019年….
_TITLE_AGENCY_FIRST = re.compile(
    rf"^([{HAN}()]{{2,40}}?{_AGENCY_SUFFIX})(?:\([^()]{{1,30}}\))?(20\d\d)年度?[^。]{{0,20}}?"
    "政府信息公开"
)
_TITLE_YEAR_FIRST = re.compile(
    rf"(20\d\d)年度?([{HAN}()]{{2,40}}?{_AGENCY_SUFFIX})政府信息公开(?:工作)?(?:年度)?报告"
)
# A crawler's page metadata names the report in a title field; the name may end in any word
# (平潭综合实验区, …管委会), since the field holds nothing else.
_META_TITLE = re.compile(
    rf"^(?:标题|名称|题目)[:]?([{HAN}()]{{2,40}}?)(20\d\d)年度?[^。]{{0,20}}?政府信息公开"
)
_TITLE_LINE = re.compile(rf"^([{HAN}()]{{2,40}}{_AGENCY_SUFFIX})$")
_TITLE_YEAR = re.compile(r"(20\d\d)年度?[^。]{0,30}?政府信息公开(?:工作)?(?:年度)?报告")
_PERIOD_YEAR = re.compile(r"统计(?:期限|时限|期间|时间)(?:为|是)?(?:从|自)?(20\d\d)年")
# The first sentence names the report: 现向社会公布沭阳县发展和改革局2023年度政府信息公开…
_SENTENCE_AGENCY = re.compile(
    rf"(?:公布|发布|编制了?)([{HAN}()]{{2,30}}?)(20\d\d)年度?(?:政府信息公开|信息公开)"
)
_ANY_YEAR = re.compile(r"(20\d\d)年(?!\d{1,2}月\d{1,2}日)")
_SITE_AGENCY = re.compile(
    rf"(?:请登录|登录|访问|详见)([{HAN}]{{2,30}}?{_AGENCY_SUFFIX})(?:门户网站|政府网站|网站|官网)"
)
_COUNTY_FIRST = re.compile(rf"^[{HAN}]{{1,6}}?(?:区|县|旗)")
_CITY = re.compile(rf"[{HAN}]{{2}}(?:市|州|盟)")


def _expand_agency(agency: str, body: str) -> str:
    """A county-level name printed without its city gets the city the body names before it."""
    if not _COUNTY_FIRST.match(agency):
        return agency
    # each place printed right before the name, left to right, not overlapping
    after, i = 0, body.find(agency, 3)
    while i >= 0:
        place = body[i - 3 : i]
        if i - 3 >= after and _CITY.fullmatch(place):
            if body.count(place) >= 2:
                return place + agency
            after = i + len(agency)
        i = body.find(agency, i + 1)
    return agency


def _first_line_match(pattern: re.Pattern[str], head: str) -> re.Match[str] | None:
    return next((m for line in head.split("\n") if (m := pattern.match(line))), None)


def _metadata(doc_id: str, head: str, body: str, s1: str) -> tuple[dict, list[dict]]:
    """Agency and reporting year from the title, else from the body (compact texts)."""
    issues: list[dict] = []
    agency = year = None
    year_source = agency_source = None
    # A title wrapped over two lines (a PDF's centred title) is read as one.
    title = "".join(head.split("\n")[:2])
    if m := (
        _TITLE_AGENCY_FIRST.search(head)
        or _first_line_match(_META_TITLE, head)
        or _TITLE_AGENCY_FIRST.search(title)
    ):
        agency, year = m.group(1), int(m.group(2))
    elif m := _TITLE_YEAR_FIRST.search(head):
        year, agency = int(m.group(1)), m.group(2)
    if agency:
        agency_source = "title"
    if year:
        year_source = "title"
    if year is None and (m := _TITLE_YEAR.search(head) or _PERIOD_YEAR.search(body)):
        year, year_source = int(m.group(1)), "title"
    if agency is None:
        for line in head.split("\n"):
            if m := _TITLE_LINE.match(line):
                agency, agency_source = m.group(1), "title"
                break
    if year is None:
        counted = Counter(int(y) for y in _ANY_YEAR.findall(s1 or body))
        if counted:
            year, year_source = counted.most_common(1)[0][0], "body"
    if agency is None and (m := _SITE_AGENCY.search(body) or _SENTENCE_AGENCY.search(body)):
        agency, agency_source = m.group(1), "body"
    if agency:
        agency = _expand_agency(agency, body)
    if agency is None:
        issues.append(
            make_issue(
                doc_id, "agency_not_found", "warning", "no agency name in the title or the body"
            )
        )
    if year is None:
        issues.append(
            make_issue(
                doc_id, "year_not_found", "warning", "no reporting year in the title or the body"
            )
        )
    return {
        "agency_parsed": agency,
        "agency_source": agency_source,
        "year": year,
        "year_source": year_source,
    }, issues


def meta_frame(lines: pl.DataFrame) -> tuple[pl.DataFrame, list[dict]]:
    """Agency and year of every document of a batch, with the issues of those not found."""
    texts = lines.group_by("doc_id", maintain_order=True).agg(
        head=pl.col("compact")
        .filter((pl.col("section") == "head") & (pl.col("compact") != ""))
        .head(15)
        .str.join("\n"),
        body=pl.col("compact").str.join(""),
        s1=pl.col("compact").filter(pl.col("section") == "s1").str.join(""),
    )
    rows, issues = [], []
    for doc_id, head, body, s1 in texts.iter_rows():
        meta, found = _metadata(doc_id, head, body, s1)
        rows.append({"doc_id": doc_id, **meta})
        issues.extend(found)
    schema = {
        "doc_id": pl.String,
        "agency_parsed": pl.String,
        "agency_source": pl.String,
        "year": pl.Int32,
        "year_source": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row"), issues


def detect_formats(
    lines: pl.DataFrame, years: dict[str, int | None]
) -> dict[str, tuple[str | None, str]]:
    """Each document\'s form version from the labels only one version prints, else its year."""
    markers = lines.group_by("doc_id").agg(
        **{f"m{fmt}": pl.col("compact").str.contains(p).any() for fmt, p in FORMAT_MARKERS.items()}
    )
    found: dict[str, tuple[str | None, str]] = {}
    for doc_id, m2019, m2021 in markers.select("doc_id", "m2019", "m2021").iter_rows():
        if m2019 != m2021 and (m2019 or m2021):
            found[doc_id] = ("2019" if m2019 else "2021", "labels")
        else:
            fallback = format_for_year(years.get(doc_id))
            found[doc_id] = (fallback, "year" if not (m2019 and m2021) else "labels_mixed")
    return found
