with

applicants as (

    select * from {{ source('xxgk', 'ref_applicant_types') }}

)

select
    applicant_key,
    label_zh,
    label_en,
    is_organisation,
    is_total,
    sort_order,
from applicants
