-- One row per report × rule × group (column, row or channel) whose identity the source
-- report breaks, with both sides.
with

ledger as (

    select * from {{ ref('int_identity_ledger') }}
    where holds = false

),

reports as (

    select * from {{ ref('dim_report') }}

)

select
    ledger.report_id,
    reports.agency,
    reports.year,
    reports.file,
    ledger.rule_id as rule,
    ledger.group_key,
    ledger.comparison,
    ledger.expected,
    ledger.reported,
    ledger.expected - ledger.reported as difference,
    ledger.source_line,
from ledger
inner join reports on ledger.report_id = reports.report_id
