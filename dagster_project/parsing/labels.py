"""The one place that knows the forms: row, column, item and measure keys with their labels.

Everything here follows DESIGN.md §1. Label patterns are matched against normalised lines
(NFKC, Simplified, whitespace removed), so they are written in that form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FORMATS = ("2019", "2021")

APPLICANT_COLUMNS: tuple[str, ...] = (
    "natural_person",
    "commercial",
    "research",
    "social_welfare",
    "legal_services",
    "other_org",
    "total",
)

APPLICANT_LABELS: dict[str, tuple[str, str]] = {
    "natural_person": ("自然人", "natural person"),
    "commercial": ("商业企业", "commercial enterprise"),
    "research": ("科研机构", "research institution"),
    "social_welfare": ("社会公益组织", "social welfare organisation"),
    "legal_services": ("法律服务机构", "legal services organisation"),
    "other_org": ("其他", "other organisation"),
    "total": ("总计", "total"),
}


@dataclass(frozen=True)
class Row:
    """One data row of table 3."""

    key: str
    label: str
    category: str
    formats: tuple[str, ...]
    pattern: str
    en: str


TABLE3_ROWS: tuple[Row, ...] = (
    Row(
        "new_received",
        "一、本年新收政府信息公开申请数量",
        "flow",
        FORMATS,
        r"本年新收",
        "new applications received this year",
    ),
    Row(
        "carried_over",
        "二、上年结转政府信息公开申请数量",
        "flow",
        FORMATS,
        r"上年结转",
        "applications carried over from last year",
    ),
    Row("granted", "（一）予以公开", "granted", FORMATS, r"予以公开", "granted"),
    Row(
        "partial",
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        "partial",
        FORMATS,
        r"部分公开",
        "partially granted",
    ),
    Row(
        "denied_state_secret",
        "1.属于国家秘密",
        "denied",
        FORMATS,
        r"国家秘密",
        "denied: state secret",
    ),
    Row(
        "denied_law",
        "2.其他法律行政法规禁止公开",
        "denied",
        FORMATS,
        r"其他法律行政",
        "denied: prohibited by other laws and regulations",
    ),
    Row(
        "denied_three_safety",
        "3.危及“三安全一稳定”",
        "denied",
        FORMATS,
        r"三安全一稳定",
        "denied: endangers the three securities and one stability",
    ),
    Row(
        "denied_third_party",
        "4.保护第三方合法权益",
        "denied",
        FORMATS,
        r"第三方合法权益",
        "denied: protects third-party rights",
    ),
    Row(
        "denied_internal",
        "5.属于三类内部事务信息",
        "denied",
        FORMATS,
        r"内部事务",
        "denied: internal affairs",
    ),
    Row(
        "denied_process",
        "6.属于四类过程性信息",
        "denied",
        FORMATS,
        r"过程性信息",
        "denied: process information",
    ),
    Row(
        "denied_enforcement",
        "7.属于行政执法案卷",
        "denied",
        FORMATS,
        r"行政执法案卷",
        "denied: administrative enforcement files",
    ),
    Row(
        "denied_query",
        "8.属于行政查询事项",
        "denied",
        FORMATS,
        r"行政查询事项",
        "denied: administrative query matters",
    ),
    Row(
        "unavailable_not_held",
        "1.本机关不掌握相关政府信息",
        "unavailable",
        FORMATS,
        r"不掌握",
        "unavailable: not held",
    ),
    Row(
        "unavailable_need_create",
        "2.没有现成信息需要另行制作",
        "unavailable",
        FORMATS,
        r"另行制作",
        "unavailable: would need to be created",
    ),
    Row(
        "unavailable_unclear",
        "3.补正后申请内容仍不明确",
        "unavailable",
        FORMATS,
        r"仍不明确",
        "unavailable: still unclear after correction",
    ),
    Row(
        "rejected_complaint",
        "1.信访举报投诉类申请",
        "rejected",
        FORMATS,
        r"信访举报投诉",
        "not processed: petition or complaint",
    ),
    Row(
        "rejected_repeat",
        "2.重复申请",
        "rejected",
        FORMATS,
        r"重复申请",
        "not processed: repeat application",
    ),
    Row(
        "rejected_publication",
        "3.要求提供公开出版物",
        "rejected",
        FORMATS,
        r"公开出版物",
        "not processed: asks for publications",
    ),
    Row(
        "rejected_mass",
        "4.无正当理由大量反复申请",
        "rejected",
        FORMATS,
        r"大量反复",
        "not processed: mass repeated applications",
    ),
    Row(
        "rejected_confirm",
        "5.要求行政机关确认或重新出具已获取信息",
        "rejected",
        FORMATS,
        r"确认或重新出具",
        "not processed: asks to confirm or reissue",
    ),
    Row("other", "（六）其他处理", "other", ("2019",), r"其他处理$|其他处理\d", "other handling"),
    Row(
        "other_no_supplement",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "other",
        ("2021",),
        r"逾期不补正",
        "other: applicant did not supplement in time",
    ),
    Row(
        "other_no_fee",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "other",
        ("2021",),
        r"缴纳费用|收费通知",
        "other: applicant did not pay the fee",
    ),
    Row(
        "other_misc", "3.其他", "other", ("2021",), r"^3[.、,]其他(?!法律)", "other: miscellaneous"
    ),
    Row("total", "（七）总计", "total", FORMATS, r"\(七\)(?:总计|合计)", "total handled"),
    Row(
        "carried_forward",
        "四、结转下年度继续办理",
        "flow",
        FORMATS,
        r"结转下年度",
        "carried forward to next year",
    ),
)

ROW_BY_KEY: dict[str, Row] = {row.key: row for row in TABLE3_ROWS}

# Row-span headings printed beside the first row of their group (not data rows).
TABLE3_GROUPS: dict[str, str] = {
    "granted": "三、本年度办理结果",
    "denied_state_secret": "（三）不予公开",
    "unavailable_not_held": "（四）无法提供",
    "rejected_complaint": "（五）不予处理",
    "other_no_supplement": "（六）其他处理",
}

# The rows of each table-3 variant, in printed order. "single_other" is the 2019 form and the
# hybrid 2021 reports that kept the one （六）其他处理 row.
TABLE3_VARIANTS: dict[str, tuple[str, ...]] = {
    "single_other": tuple(
        r.key
        for r in TABLE3_ROWS
        if r.key not in ("other_no_supplement", "other_no_fee", "other_misc")
    ),
    "three_other": tuple(r.key for r in TABLE3_ROWS if r.key != "other"),
}

FLOW_ROWS = ("new_received", "carried_over", "total", "carried_forward")
LEAF_CATEGORIES = ("granted", "partial", "denied", "unavailable", "rejected", "other")

REVIEW_CHANNELS: tuple[str, ...] = ("review", "litigation_direct", "litigation_after_review")
REVIEW_OUTCOMES: tuple[str, ...] = ("upheld", "corrected", "other", "pending", "total")
TABLE4_CELLS: tuple[tuple[str, str], ...] = tuple(
    (channel, outcome) for channel in REVIEW_CHANNELS for outcome in REVIEW_OUTCOMES
)
CHANNEL_LABELS = {
    "review": ("行政复议", "administrative review"),
    "litigation_direct": ("行政诉讼·未经复议直接起诉", "litigation without prior review"),
    "litigation_after_review": ("行政诉讼·复议后起诉", "litigation after review"),
}
OUTCOME_LABELS = {
    "upheld": ("结果维持", "upheld"),
    "corrected": ("结果纠正", "corrected"),
    "other": ("其他结果", "other result"),
    "pending": ("尚未审结", "pending"),
    "total": ("总计", "total"),
}


@dataclass(frozen=True)
class Item:
    """One row of table 2 with the measures it carries in each format."""

    key: str
    label: str
    pattern: str
    measures: dict[str, tuple[str, ...]]


TABLE2_ITEMS: tuple[Item, ...] = (
    Item(
        "regulations",
        "规章",
        r"^规章",
        {
            "2019": ("new_made", "new_published", "total_published"),
            "2021": ("issued", "repealed", "in_force"),
        },
    ),
    Item(
        "normative_documents",
        "规范性文件",
        r"^(?:行政)?规范性",
        {
            "2019": ("new_made", "new_published", "total_published"),
            "2021": ("issued", "repealed", "in_force"),
        },
    ),
    Item(
        "licensing",
        "行政许可",
        r"^行政许可",
        {"2019": ("prev_items", "change", "decisions"), "2021": ("decisions",)},
    ),
    Item(
        "other_services",
        "其他对外管理服务事项",
        r"^其他对外管理",
        {"2019": ("prev_items", "change", "decisions")},
    ),
    Item(
        "penalty",
        "行政处罚",
        r"^行政处罚",
        {"2019": ("prev_items", "change", "decisions"), "2021": ("decisions",)},
    ),
    Item(
        "enforcement",
        "行政强制",
        r"^行政强制",
        {"2019": ("prev_items", "change", "decisions"), "2021": ("decisions",)},
    ),
    Item(
        "fees",
        "行政事业性收费",
        r"^行政事业性",
        {"2019": ("prev_items", "change"), "2021": ("amount_yuan",)},
    ),
    Item("procurement", "政府集中采购", r"^政府集中", {"2019": ("projects", "amount_yuan")}),
)

ITEM_BY_KEY: dict[str, Item] = {item.key: item for item in TABLE2_ITEMS}

# Measures whose printed value is money; stored in yuan.
MONEY_MEASURES = ("amount_yuan",)
# Measures whose printed value is signed (减1 → -1).
SIGNED_MEASURES = ("change",)

# Labels that only one format uses: the format is decided by these, not by the year.
FORMAT_MARKERS: dict[str, str] = {
    "2019": r"本年新制作数量|本年新公开数量|对外公开总数量|上一年项目数量|采购总金额",
    "2021": r"本年制发件数|本年废止件数|现行有效件数|本年收费金额|逾期不补正|缴纳费用",
}


def format_for_year(year: int | None) -> str | None:
    """The format version the regulations prescribe for a reporting year."""
    if year is None or year < 2019:
        return None
    return "2019" if year < 2021 else "2021"


# Section headings, matched at the start of a whitespace-free line.
SECTION_HEADINGS: dict[str, str] = {
    "s1": r"^一[、.,]?总体情况",
    "t2": r"^二[、.,]?主动公开政府信息",
    "t3": r"^三[、.,]?收到和处理政府信息公开申请",
    "t4": r"^四[、.,]?政府信息公开行政复议",
    "s5": r"^五[、.,]?存在的?主要问题",
    "s6": r"^六[、.,]?其他需要报告",
}

ROW_REGEX: dict[str, re.Pattern[str]] = {row.key: re.compile(row.pattern) for row in TABLE3_ROWS}
ITEM_REGEX: dict[str, re.Pattern[str]] = {i.key: re.compile(i.pattern) for i in TABLE2_ITEMS}
