{#- Post-hook of every model (dbt_project.yml): Postgres plans a query on a table with no
    statistics as if it were tiny and picked nested loops that took minutes on a few
    thousand rows; a freshly built table is analysed at once. Nothing on other engines
    (an empty hook is not run). -#}
{% macro analyze_relation() -%}
    {{ return(adapter.dispatch('analyze_relation', 'customs_cip')()) }}
{%- endmacro %}

{% macro default__analyze_relation() -%}
{%- endmacro %}

{% macro postgres__analyze_relation() -%}
    {%- if model.config.materialized in ('table', 'incremental') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
