-- A report with a table 3 that lacks a row or column of its variant: the parser lost cells
-- (a missing cell is still a row, with state 'missing').
with

expected as (

    select
        report_id,
        case when table3_variant = 'three_other' then 25 else 23 end * 7 as cells,
    from {{ ref('stg_xxgk__reports') }}
    where table3_present

),

actual as (

    select report_id, count(*) as cells
    from {{ ref('stg_xxgk__table3_cells') }}
    group by report_id

)

select expected.report_id, expected.cells as expected_cells, actual.cells as actual_cells
from expected
left join actual on expected.report_id = actual.report_id
where actual.cells is distinct from expected.cells
