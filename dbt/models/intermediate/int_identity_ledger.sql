-- One row per report × rule × group: both sides of every report-level identity (T3-1, T3-2,
-- T3-3, T4-1 from the parser's own terms in ref_identity_terms; T2-1 for 2019 table 2).
with

table3 as (

    select
        report_id,
        'table3' as table_name,
        disposition_key as row_key,
        applicant_key as col_key,
        value,
        source_line,
    from {{ ref('stg_xxgk__table3_cells') }}

),

table4 as (

    select
        report_id,
        'table4' as table_name,
        channel as row_key,
        outcome as col_key,
        value,
        source_line,
    from {{ ref('stg_xxgk__table4_cells') }}

),

terms as (

    select * from {{ source('xxgk', 'ref_identity_terms') }}

),

joined as (

    select
        cells.*,
        terms.rule,
        terms.group_key,
        terms.coef,
    from (select * from table3 union all select * from table4) as cells
    inner join terms
        on
            cells.table_name = terms.table
            and cells.row_key = terms.row_key
            and cells.col_key = terms.col_key

),

equalities as (

    select
        report_id,
        rule as rule_id,
        group_key,
        '=' as comparison,
        sum(value * coef) filter (where coef > 0)::bigint as expected,
        sum(-value * coef) filter (where coef < 0)::bigint as reported,
        count(*) filter (where value is null) = 0 as is_complete,
        min(source_line) filter (where coef < 0) as source_line,
    from joined
    group by report_id, rule, group_key
    having bool_or(coef > 0) and bool_or(coef < 0)

),

table2 as (

    select * from {{ ref('stg_xxgk__table2_cells') }}

),

published as (

    select
        new.report_id,
        'T2-1' as rule_id,
        new.item || '.new_published' as group_key,
        '<=' as comparison,
        new.value::bigint as expected,
        total.value::bigint as reported,
        new.value is not null and total.value is not null as is_complete,
        new.source_line,
    from table2 as new
    inner join table2 as total
        on new.report_id = total.report_id and new.item = total.item
    where new.measure = 'new_published' and total.measure = 'total_published'

),

changes as (

    select
        prev.report_id,
        'T2-1' as rule_id,
        prev.item || '.change' as group_key,
        '>=' as comparison,
        (prev.value + change.value)::bigint as expected,
        0::bigint as reported,
        prev.value is not null and change.value is not null as is_complete,
        change.source_line,
    from table2 as prev
    inner join table2 as change
        on prev.report_id = change.report_id and prev.item = change.item
    where prev.measure = 'prev_items' and change.measure = 'change'

),

ledger as (

    select * from equalities
    union all
    select * from published
    union all
    select * from changes

)

select
    *,
    case
        when not is_complete then null
        when comparison = '=' then expected = reported
        when comparison = '<=' then expected <= reported
        else expected >= reported
    end as holds,
from ledger
