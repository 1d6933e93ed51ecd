-- One row per report × channel × outcome of table 4.
with

cells as (

    select * from {{ ref('stg_xxgk__table4_cells') }}

),

reports as (

    select * from {{ ref('dim_report') }}

)

select
    cells.report_id,
    reports.agency_key,
    reports.year,
    cells.channel,
    cells.outcome,
    cells.value as cases,
    cells.cell_state,
    cells.source_line,
    cells.source_page,
    cells.source_location,
    reports.is_certified,
from cells
inner join reports on cells.report_id = reports.report_id
