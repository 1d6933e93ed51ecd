{#
    A model's schema is the one its folder names in dbt_project.yml, as it stands: analysts
    read `analytics`, dbt's staging and intermediate views live in `staging`, and the tables
    the pipeline loads (with its bookkeeping) stay in `main`. dbt's default would prefix the
    target's schema (`main_analytics`).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name else target.schema }}
{%- endmacro %}
