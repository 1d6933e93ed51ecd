-- One row per figure a report's text states (N-1): a count beside the sum of the table cells
-- it names (table 3's total column, table 4's totals), a percentage beside the share its
-- stated counts give. figure is null when the tables lack a cell it needs.
with

facts as (

    select * from {{ ref('stg_xxgk__narrative_facts') }}

),

checks as (

    select * from {{ source('xxgk', 'ref_narrative_checks') }}

),

totals as (

    select report_id, 'table3' as table_name, disposition_key as row_key, value,
    from {{ ref('stg_xxgk__table3_cells') }}
    where applicant_key = 'total'
    union all
    select report_id, 'table4' as table_name, channel as row_key, value,
    from {{ ref('stg_xxgk__table4_cells') }}
    where outcome = 'total'

),

needed as (

    select
        facts.report_id,
        facts.fact,
        facts.value as stated,
        facts.source_line,
        totals.value,
        totals.row_key is not null as is_printed,
    from facts
    inner join checks on facts.fact = checks.fact
    left join totals
        on
            facts.report_id = totals.report_id
            and checks.table_name = totals.table_name
            and checks.row_key = totals.row_key
    where facts.unit = 'count'

),

counts as (

    select
        report_id,
        fact,
        'count' as unit,
        any_value(stated) as stated,
        case
            when bool_and(is_printed) and count(value) = count(*) then sum(value)
        end::decimal(24, 4) as figure,
        any_value(source_line) as source_line,
    from needed
    group by report_id, fact

),

stated_counts as (

    select report_id, fact, value,
    from facts
    where unit = 'count'

),

bases as (

    select
        report_id,
        coalesce(
            max(value) filter (where fact = 'applications_received'),
            max(value) filter (where fact = 'applications_handled')
        ) as base,
    from stated_counts
    group by report_id

),

shares as (

    select
        facts.report_id,
        facts.fact,
        'percent' as unit,
        facts.value as stated,
        case
            when bases.base > 0 then round(part.value * 100 / bases.base, 4)
        end::decimal(24, 4) as figure,
        facts.source_line,
    from facts
    left join stated_counts as part
        on facts.report_id = part.report_id and facts.fact = part.fact
    left join bases on facts.report_id = bases.report_id
    where facts.unit = 'percent'

),

ledger as (

    select * from counts
    union all
    select * from shares

)

select
    ledger.report_id,
    'N-1' as rule_id,
    ledger.fact,
    ledger.unit,
    ledger.stated,
    ledger.figure,
    ledger.stated - ledger.figure as difference,
    case when ledger.unit = 'percent' then tolerance.share_tolerance else 0 end as tolerance,
    ledger.source_line,
from ledger
cross join (select max(share_tolerance) as share_tolerance from checks) as tolerance
