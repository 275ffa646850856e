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

{#- Continuous quantiles of expr per group, from a sort instead of an aggregate: a select over
    relation giving the key columns, count_name (the group's values) and one column per
    name: q of names ({column: q}). Each group's values are numbered in value order
    (row_number and count over the group), and the quantile is interpolated as DuckDB's
    quantile_cont, Postgres' percentile_cont and Spark's percentile do: h = (n - 1) q,
    lo + (hi - lo) (h - floor h) between the values at ranks floor h and ceil h. A window
    sort spills in sorted runs; the quantile aggregate held every group's values in its
    hash table and, beside another model holding the memory, spilled ~13 GB at 50M
    (issue 13). The same SQL on every engine, so they give the same values. -#}
{% macro quantiles_by_sort(relation, keys, expr, names, count_name) -%}
    {{ return(adapter.dispatch('quantiles_by_sort', 'customs_cip')(relation, keys, expr, names, count_name)) }}
{%- endmacro %}

{% macro default__quantiles_by_sort(relation, keys, expr, names, count_name) -%}
    {%- set key_list = keys | join(', ') -%}
    {%- set rank = '(value_count - 1) * cast(%s as ' ~ type_double() ~ ')' -%}
select
    {{ key_list }},
    {{ count_name }},
    {%- for name, q in names.items() %}
        {%- set h = '(' ~ count_name ~ ' - 1) * cast(' ~ q ~ ' as ' ~ type_double() ~ ')' %}
    low_{{ loop.index }} + (high_{{ loop.index }} - low_{{ loop.index }}) * ({{ h }} - floor({{ h }})) as {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
from (
    select
        {{ key_list }},
        max(value_count) as {{ count_name }},
        {%- for name, q in names.items() %}
            {%- set h = rank | format(q) %}
        max(case when value_rank = floor({{ h }}) + 1 then sorted_value end) as low_{{ loop.index }},
        max(case when value_rank = ceil({{ h }}) + 1 then sorted_value end) as high_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ key_list }},
            {{ expr }} as sorted_value,
            row_number() over (partition by {{ key_list }} order by {{ expr }}) as value_rank,
            count(*) over (partition by {{ key_list }}) as value_count
        from {{ relation }}
    ) as ranked
    where
        {%- for name, q in names.items() %}
            {%- set h = rank | format(q) %}
        {{ 'or ' if not loop.first }}value_rank in (floor({{ h }}) + 1, ceil({{ h }}) + 1)
        {%- endfor %}
    group by {{ key_list }}
) as ranks
{%- endmacro %}
