-- The flows fact disagrees with the table-3 cells it pivots: a model bug, not a source finding.
select flows.report_id, flows.applicant_key
from {{ ref('fct_application_flows') }} as flows
inner join {{ ref('stg_xxgk__table3_cells') }} as cells
    on
        flows.report_id = cells.report_id
        and flows.applicant_key = cells.applicant_key
        and cells.disposition_key = 'new_received'
where flows.new_received is distinct from cells.value
