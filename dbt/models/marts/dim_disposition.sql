with

dispositions as (

    select * from {{ source('xxgk', 'ref_dispositions') }}

)

select
    disposition_key,
    category,
    label_zh,
    group_zh,
    label_en,
    legal_basis,
    in_format_2019,
    in_format_2021,
    concat_ws(',', case when in_format_2019 then '2019' end,
              case when in_format_2021 then '2021' end) as formats,
    is_leaf,
    sort_order,
from dispositions
