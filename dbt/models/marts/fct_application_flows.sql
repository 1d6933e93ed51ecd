-- One row per report × applicant type: the four flow rows of table 3 (total as reported).
with

cells as (

    select * from {{ ref('stg_xxgk__table3_cells') }}
    where disposition_key in ('new_received', 'carried_over', 'total', 'carried_forward')

),

reports as (

    select * from {{ ref('dim_report') }}

),

pivoted as (

    select
        report_id,
        applicant_key,
        any_value(value) filter (where disposition_key = 'new_received') as new_received,
        any_value(value) filter (where disposition_key = 'carried_over') as carried_over,
        any_value(value) filter (where disposition_key = 'total') as total,
        any_value(value) filter (where disposition_key = 'carried_forward') as carried_forward,
        min(source_line) as source_line,
        min(source_page) as source_page,
    from cells
    group by report_id, applicant_key

)

select
    pivoted.report_id,
    reports.agency_key,
    reports.year,
    pivoted.applicant_key,
    pivoted.new_received,
    pivoted.carried_over,
    pivoted.total,
    pivoted.carried_forward,
    pivoted.source_line,
    pivoted.source_page,
    reports.is_certified,
from pivoted
inner join reports on pivoted.report_id = reports.report_id
