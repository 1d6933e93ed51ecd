with

reports as (

    select * from {{ ref('stg_xxgk__reports') }}

)

select
    year,
    case when year < 2021 then '2019' else '2021' end as format,
    count(*) as reports,
    count(*) filter (where format is distinct from case when year < 2021 then '2019' else '2021' end)
        as reports_in_other_format,
from reports
where year is not null
group by year
