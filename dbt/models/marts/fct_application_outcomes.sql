-- One row per report × applicant type × leaf disposition (applicant_key 'total' is the
-- printed total column).
with

cells as (

    select * from {{ ref('stg_xxgk__table3_cells') }}

),

dispositions as (

    select * from {{ ref('dim_disposition') }}

),

reports as (

    select * from {{ ref('dim_report') }}

)

select
    cells.report_id,
    reports.agency_key,
    reports.year,
    cells.disposition_key,
    dispositions.category,
    cells.applicant_key,
    cells.value as applications,
    cells.cell_state,
    cells.source_line,
    cells.source_page,
    cells.source_location,
    reports.is_certified,
from cells
inner join dispositions on cells.disposition_key = dispositions.disposition_key
inner join reports on cells.report_id = reports.report_id
where dispositions.is_leaf
