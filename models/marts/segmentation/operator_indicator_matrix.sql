-- depends_on: {{ ref('int_indicator_status') }}
{{ config(materialized='view') }}
{#- M3/M4 (note Table 3): the flags as a matrix, one row per operator and one 0/1
    column per active indicator (lowercase code), plus the total of ones. The columns
    follow the indicator catalogue (documented by its rows), so this view has no fixed contract. -#}
{%- set codes = [] -%}
{%- if execute -%}
    {%- set result = run_query("select indicator_code from " ~ ref('int_indicator_status') ~ " where is_active order by indicator_code") -%}
    {%- set codes = result.columns[0].values() | list -%}
{%- endif %}

with

flags as (
    select * from {{ ref('operator_indicator_flags') }}
),

final as (
    select
        tin,
        {%- for code in codes %}
        max(case when indicator_code = '{{ code }}' then flag else 0 end) as {{ code | lower }},
        {%- endfor %}
        sum(flag) as total_flags
    from flags
    group by tin
)

-- no double to round, and the columns follow the catalogue rather than the yml
select * from final
