with

rules as (

    select * from {{ source('xxgk', 'ref_rules') }}

)

select
    rule,
    checked_in,
    meaning_en,
    meaning_zh,
from rules
