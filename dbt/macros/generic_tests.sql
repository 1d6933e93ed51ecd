{# Generic tests written here instead of taken from a package hub (there is none offline). #}

{% test non_negative(model, column_name) %}
-- Fails on every row whose value is negative: counts are never below zero.
select * from {{ model }} where {{ column_name }} < 0
{% endtest %}

{% test unique_combination(model, columns) %}
-- Fails on every combination of the columns that occurs more than once: the grain is broken.
select {{ columns | join(', ') }}, count(*) as n
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
