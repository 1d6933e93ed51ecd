-- One row per report × item × measure of table 2. The 2019 and 2021 measures have different
-- keys (new_made … vs issued …), so they never share a column.
with

cells as (

    select * from {{ ref('stg_xxgk__table2_cells') }}

),

reports as (

    select * from {{ ref('dim_report') }}

)

select
    cells.report_id,
    reports.agency_key,
    reports.year,
    reports.format,
    cells.item,
    cells.measure,
    cells.value,
    cells.printed_unit,
    cells.cell_state,
    cells.source_line,
    cells.source_page,
    cells.source_location,
    reports.is_certified,
from cells
inner join reports on cells.report_id = reports.report_id
