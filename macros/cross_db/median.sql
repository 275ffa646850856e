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
