-- One row per agency and year: how applications were received and handled, and how often
-- review and litigation corrected the agency. Where an agency has several reports for a year,
-- one with table 3 is taken first, then the certified one with the most cells read. A report
-- whose table 3 was not found is here too, its figures null and missing_reason saying why.
with

reports as (

    select
        *,
        row_number() over (
            partition by agency_key, year
            order by table3_present desc, is_certified desc, missing_cells asc, report_id
        ) as choice,
    from {{ ref('dim_report') }}
    where agency_key is not null

),

chosen as (

    select * from reports where choice = 1

),

flows as (

    select * from {{ ref('fct_application_flows') }} where applicant_key = 'total'

),

outcomes as (

    select
        report_id,
        sum(applications) filter (where category = 'granted')::bigint as granted,
        sum(applications) filter (where category = 'partial')::bigint as partial,
        sum(applications) filter (where category = 'denied')::bigint as denied,
        sum(applications) filter (where category = 'unavailable')::bigint as unavailable,
        sum(applications) filter (where category = 'rejected')::bigint as rejected,
        sum(applications) filter (where category = 'other')::bigint as other,
    from {{ ref('fct_application_outcomes') }}
    where applicant_key = 'total'
    group by report_id

),

review as (

    select
        report_id,
        sum(cases) filter (where channel = 'review' and outcome = 'total')::bigint as review_cases,
        sum(cases) filter (where channel = 'review' and outcome = 'corrected')::bigint
            as review_corrected,
        sum(cases) filter (where channel = 'review' and outcome = 'pending')::bigint as review_pending,
        sum(cases) filter (where channel != 'review' and outcome = 'total')::bigint
            as litigation_cases,
        sum(cases) filter (where channel != 'review' and outcome = 'corrected')::bigint
            as litigation_corrected,
        sum(cases) filter (where channel != 'review' and outcome = 'pending')::bigint
            as litigation_pending,
    from {{ ref('fct_review_litigation') }}
    group by report_id

),

joined as (

    select
        chosen.agency,
        chosen.year,
        chosen.report_id,
        chosen.format,
        chosen.is_certified,
        case
            when not chosen.table3_present
                then 'table 3 was not found in the report: its application figures are null'
            when not chosen.table4_present
                then 'table 4 was not found in the report: its review figures are null'
        end as missing_reason,
        flows.new_received,
        flows.carried_over,
        flows.total as applications_closed,
        flows.total,
        flows.carried_forward,
        outcomes.granted,
        outcomes.partial,
        outcomes.denied,
        outcomes.unavailable,
        outcomes.rejected,
        outcomes.other,
        review.review_cases,
        review.review_corrected,
        review.review_cases - review.review_pending as review_closed,
        review.litigation_cases,
        review.litigation_corrected,
        review.litigation_cases - review.litigation_pending as litigation_closed,
    from chosen
    left join flows on chosen.report_id = flows.report_id
    left join outcomes on chosen.report_id = outcomes.report_id
    left join review on chosen.report_id = review.report_id

)

select
    *,
    granted / nullif(total, 0) as share_granted,
    partial / nullif(total, 0) as share_partial,
    denied / nullif(total, 0) as share_denied,
    unavailable / nullif(total, 0) as share_unavailable,
    rejected / nullif(total, 0) as share_rejected,
    review_corrected / nullif(review_cases, 0) as review_correction_rate,
    review_corrected / nullif(review_closed, 0) as review_correction_rate_closed,
    litigation_corrected / nullif(litigation_cases, 0) as litigation_correction_rate,
    litigation_corrected / nullif(litigation_closed, 0) as litigation_correction_rate_closed,
from joined
