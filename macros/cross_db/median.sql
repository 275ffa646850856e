{#- Exact median (continuous) of expr, as an aggregate. -#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'customs_cip')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{% macro spark__median(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}

{#- Continuous quantile q (0-1) of expr, as an aggregate. -#}
{% macro quantile(expr, q) -%}
    {{ return(adapter.dispatch('quantile', 'customs_cip')(expr, q)) }}
{%- endmacro %}

{% macro default__quantile(expr, q) -%}
    percentile_cont({{ q }}) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__quantile(expr, q) -%}
    quantile_cont({{ expr }}, {{ q }})
{%- endmacro %}

{% macro spark__quantile(expr, q) -%}
    percentile({{ expr }}, {{ q }})
{%- endmacro %}

{#- Continuous quantiles of expr at each q of qs: a list of aggregate expressions, one per q.
    On DuckDB they share one aggregate (quantile_cont over the list of qs, which the optimizer
    computes once), so the group's values are held once, not once per quantile: five separate
    quantiles ran out of memory and spilled at 50M (issue 13). -#}
{% macro quantiles(expr, qs) -%}
    {{ return(adapter.dispatch('quantiles', 'customs_cip')(expr, qs)) }}
{%- endmacro %}

{% macro default__quantiles(expr, qs) -%}
    {%- set expressions = [] -%}
    {%- for q in qs %}{% do expressions.append(quantile(expr, q) | trim) %}{% endfor -%}
    {{ return(expressions) }}
{%- endmacro %}

{% macro duckdb__quantiles(expr, qs) -%}
    {%- set expressions = [] -%}
    {%- for q in qs %}
        {%- do expressions.append('quantile_cont(' ~ expr ~ ', [' ~ qs | join(', ') ~ '])[' ~ loop.index ~ ']') -%}
    {%- endfor -%}
    {{ return(expressions) }}
{%- endmacro %}
