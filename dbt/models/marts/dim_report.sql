with

reports as (

    select * from {{ ref('stg_xxgk__reports') }}

),

ledger as (

    select * from {{ ref('int_identity_ledger') }}

),

rules as (

    select
        report_id,
        {{ rule_holds('T3-1') }} as t3_1_holds,
        {{ rule_holds('T3-2') }} as t3_2_holds,
        {{ rule_holds('T3-3') }} as t3_3_holds,
        {{ rule_holds('T4-1') }} as t4_1_holds,
        {{ rule_holds('T2-1') }} as t2_1_holds,
    from ledger
    group by report_id

),

cells as (

    select report_id, cell_state from {{ ref('stg_xxgk__table3_cells') }}
    union all
    select report_id, cell_state from {{ ref('stg_xxgk__table4_cells') }}
    union all
    select report_id, cell_state from {{ ref('stg_xxgk__table2_cells') }}

),

missing as (

    select
        report_id,
        count(*) filter (where cell_state = 'missing') as missing_cells,
    from cells
    group by report_id

),

stated as (

    select distinct report_id from {{ ref('stg_xxgk__narrative_facts') }}

),

issues as (

    select
        report_id,
        bool_or(issue_code = 'year_format_mismatch') as format_mismatch,
        bool_or(rule_id = 'N-1') as narrative_mismatch,
        count(*) as issues,
    from {{ ref('stg_xxgk__parse_issues') }}
    group by report_id

),

joined as (

    select
        reports.report_id,
        reports.file,
        reports.paths,
        reports.sha256,
        md5(reports.agency) as agency_key,
        reports.agency,
        reports.year,
        reports.folder_year,
        reports.format,
        reports.table3_variant,
        reports.table2_present,
        reports.table3_present,
        reports.table4_present,
        coalesce(missing.missing_cells, 0) as missing_cells,
        coalesce(issues.issues, 0) as issues,
        rules.t3_1_holds,
        rules.t3_2_holds,
        rules.t3_3_holds,
        rules.t4_1_holds,
        rules.t2_1_holds,
        reports.table2_present
        and reports.table3_present
        and reports.table4_present
        and coalesce(missing.missing_cells, 0) = 0
        and not coalesce(issues.format_mismatch, false) as s_1_holds,
        -- Unknown (null) when the text states no figure or there is no table to compare with.
        case
            when stated.report_id is not null and (reports.table3_present or reports.table4_present)
                then not coalesce(issues.narrative_mismatch, false)
        end as n_1_holds,
    from reports
    left join rules on reports.report_id = rules.report_id
    left join missing on reports.report_id = missing.report_id
    left join issues on reports.report_id = issues.report_id
    left join stated on reports.report_id = stated.report_id

),

verdicts as (

    select
        *,
        coalesce(
            t3_1_holds and t3_2_holds and t3_3_holds and t4_1_holds and s_1_holds, false
        ) as passes,
    from joined

),

-- Different files claiming one agency and year are all kept; at most one is certified: the
-- one that passes its identities, then has the fewest missing cells, then the fewest issues,
-- then the smallest report_id (a stable tie-break).
claims as (

    select
        *,
        case
            when agency is not null then count(*) over (partition by agency, year) else 1
        end as claims,
        case
            when agency is not null
                then row_number() over (
                    partition by agency, year
                    order by passes desc, missing_cells, issues, report_id
                )
            else 1
        end as claim_rank,
    from verdicts

)

select
    * exclude (passes),
    claims > 1 as has_conflict,
    passes and claim_rank = 1 as is_certified,
from claims
