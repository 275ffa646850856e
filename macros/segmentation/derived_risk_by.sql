{#- M2 risky brokers / HS codes / countries 'derived from detected irregularities':
    per value of `dimension`, the hit rate of examinations in the window; a value is
    risky by the rule of macro is_risky_by_lift. Returns a select. -#}
{% macro derived_risk_by(dimension) -%}
with

examined_lines as (
    select * from {{ ref('int_examined_lines') }}
    where {{ dimension }} is not null
),

overall as (
    select {{ safe_divide('sum(case when is_irregular then 1 else 0 end)', 'count(*)') }} as overall_hit_rate
    from examined_lines
),

by_value as (
    select
        {{ dimension }},
        count(*) as examined_lines,
        sum(case when is_irregular then 1 else 0 end) as irregular_lines
    from examined_lines
    group by {{ dimension }}
),

derived as (
    select
        by_value.{{ dimension }},
        by_value.examined_lines,
        by_value.irregular_lines,
        {{ safe_divide('by_value.irregular_lines', 'by_value.examined_lines') }} as hit_rate,
        overall.overall_hit_rate,
        {{ is_risky_by_lift('by_value.irregular_lines', 'by_value.examined_lines', 'overall.overall_hit_rate') }}
            as is_derived_risky
    from by_value
    cross join overall
)

select * from derived
{%- endmacro %}
