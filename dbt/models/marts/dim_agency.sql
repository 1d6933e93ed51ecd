with

reports as (

    select * from {{ ref('stg_xxgk__reports') }}
    where agency is not null

)

select
    md5(agency) as agency_key,
    agency,
    any_value(province) as province,
    any_value(city) as city,
    any_value(county) as county,
    any_value(adcode) as adcode,
    any_value(admin_level) as admin_level,
    any_value(agency_kind) as agency_kind,
    count(*) as reports,
    min(year) as first_year,
    max(year) as last_year,
from reports
group by agency
