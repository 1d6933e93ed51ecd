-- mart_agency_year for certified reports only (T3-1, T3-2, T3-3, T4-1 and S-1 hold): the
-- rows to quote without reading is_certified first.
{{ config(materialized='view') }}

select * from {{ ref('mart_agency_year') }}
where is_certified
