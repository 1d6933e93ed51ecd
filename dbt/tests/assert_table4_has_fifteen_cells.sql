-- A report with a table 4 that does not have exactly fifteen cells: the parser lost cells.
select report_id, count(*) as cells
from {{ ref('stg_xxgk__table4_cells') }}
group by report_id
having count(*) != 15
