-- One row per count or share stated in the text that disagrees with the tables (N-1).
with

issues as (

    select * from {{ ref('stg_xxgk__parse_issues') }}
    where rule_id = 'N-1'

),

reports as (

    select * from {{ ref('dim_report') }}

)

select
    issues.report_id,
    reports.agency,
    reports.year,
    reports.file,
    issues.rule_id as rule,
    issues.message,
    issues.source_line,
from issues
inner join reports on issues.report_id = reports.report_id
