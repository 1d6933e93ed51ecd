-- A certified report whose identity ledger has a broken or unreadable group: the certification
-- rule (T3-1, T3-2, T3-3, T4-1 and S-1 hold) is not doing what it says.
select dim_report.report_id, ledger.rule_id, ledger.group_key
from {{ ref('dim_report') }} as dim_report
inner join {{ ref('int_identity_ledger') }} as ledger
    on dim_report.report_id = ledger.report_id
where
    dim_report.is_certified
    and ledger.rule_id in ('T3-1', 'T3-2', 'T3-3', 'T4-1')
    and ledger.holds is not true
