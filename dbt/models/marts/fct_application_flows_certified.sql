-- fct_application_flows for certified reports only (T3-1, T3-2, T3-3, T4-1 and S-1 hold).
{{ config(materialized='view') }}

select * from {{ ref('fct_application_flows') }}
where is_certified
