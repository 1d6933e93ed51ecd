-- One row per agency, pair of consecutive years and checked figure: X-1 carry-over
-- (carried_over this year = carried_forward last year), X-2 (2021 format, warn only:
-- in_force = last in_force + issued - repealed) and X-3 (2019 format: prev_items =
-- last prev_items + last change).
with

reports as (

    select * from {{ ref('mart_agency_year') }}

),

flows as (

    select * from {{ ref('fct_application_flows') }}

),

table2 as (

    select * from {{ ref('fct_proactive_disclosure') }}

),

pairs as (

    select
        this.agency,
        this.year,
        last.year as last_year,
        this.report_id,
        last.report_id as last_report_id,
    from reports as this
    inner join reports as last
        on this.agency = last.agency and this.year = last.year + 1

),

x1 as (

    select
        pairs.agency,
        pairs.year,
        pairs.last_year,
        pairs.report_id,
        pairs.last_report_id,
        'X-1' as rule,
        'error' as severity,
        this.applicant_key as group_key,
        last.carried_forward as expected,
        this.carried_over as reported,
    from pairs
    inner join flows as this on pairs.report_id = this.report_id
    inner join flows as last
        on pairs.last_report_id = last.report_id and this.applicant_key = last.applicant_key

),

changes as (

    select
        report_id,
        item,
        sum(value) filter (where measure = 'issued') as issued,
        sum(value) filter (where measure = 'repealed') as repealed,
    from table2
    group by report_id, item

),

x2 as (

    select
        pairs.agency,
        pairs.year,
        pairs.last_year,
        pairs.report_id,
        pairs.last_report_id,
        'X-2' as rule,
        'warn' as severity,
        this.item as group_key,
        last.value + changes.issued - changes.repealed as expected,
        this.value as reported,
    from pairs
    inner join table2 as this
        on pairs.report_id = this.report_id and this.measure = 'in_force'
    inner join table2 as last
        on
            pairs.last_report_id = last.report_id
            and last.item = this.item
            and last.measure = 'in_force'
    inner join changes
        on pairs.report_id = changes.report_id and changes.item = this.item

),

x3 as (

    select
        pairs.agency,
        pairs.year,
        pairs.last_year,
        pairs.report_id,
        pairs.last_report_id,
        'X-3' as rule,
        'error' as severity,
        this.item as group_key,
        last_prev.value + last_change.value as expected,
        this.value as reported,
    from pairs
    inner join table2 as this
        on pairs.report_id = this.report_id and this.measure = 'prev_items'
    inner join table2 as last_prev
        on
            pairs.last_report_id = last_prev.report_id
            and last_prev.item = this.item
            and last_prev.measure = 'prev_items'
    inner join table2 as last_change
        on
            pairs.last_report_id = last_change.report_id
            and last_change.item = this.item
            and last_change.measure = 'change'

),

checks as (

    select * from x1
    union all
    select * from x2
    union all
    select * from x3

)

select
    * exclude (severity),
    expected = reported as holds,
    -- a severity only where the rule is broken: a row that holds is no finding
    case when expected != reported then severity end as severity,
from checks
