-- fct_proactive_disclosure for certified reports only (T3-1, T3-2, T3-3, T4-1 and S-1 hold).
{{ config(materialized='view') }}

select * from {{ ref('fct_proactive_disclosure') }}
where is_certified
