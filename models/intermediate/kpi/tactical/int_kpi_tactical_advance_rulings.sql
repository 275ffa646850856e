{#- M18 (tactical): advance rulings issued per period and ruling type ('all' = every
    type). Their share of the period's declarations is formed in int_kpi_tactical_values,
    which holds both counts. -#}
{%- set grains = ['month', 'quarter', 'year'] -%}

with

advance_rulings as (
    select * from {{ ref('stg_customs__advance_rulings') }}
),

rulings_periodised as (
    {% for grain in grains %}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'ruling_date') }} as date) as period_start,
            coalesce(ruling_type, 'unknown') as ruling_type
        from advance_rulings
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rulings as (
    select
        period_grain,
        period_start,
        ruling_type,
        count(*) as rulings
    from rulings_periodised
    group by period_grain, period_start, ruling_type
    union all
    select
        period_grain,
        period_start,
        'all' as ruling_type,
        count(*) as rulings
    from rulings_periodised
    group by period_grain, period_start
),

final as (
    select
        period_grain,
        period_start,
        'advance_rulings_issued' as kpi_code,
        'ruling_type' as dimension_name,
        ruling_type as dimension_value,
        cast(rulings as {{ type_double() }}) as kpi_value
    from rulings
)

select * from final
