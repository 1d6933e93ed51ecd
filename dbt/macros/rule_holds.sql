{#
  Whether a report satisfies one identity, from its rows of int_identity_ledger: true when
  every group holds, false when any group is broken, null when none is broken but a group
  could not be read (or the rule has no group in the report). bool_and alone would skip the
  unreadable groups and claim the rule holds.
#}
{% macro rule_holds(rule_id) -%}
case
    when bool_or(holds = false) filter (where rule_id = '{{ rule_id }}') then false
    when bool_and(holds is not null) filter (where rule_id = '{{ rule_id }}') then true
end
{%- endmacro %}
