{#- M18 (tactical): advance rulings issued per period and ruling type ('all' = every
    type), and per declaration of the period (the declarations_count KPI of
    int_kpi_tactical_channels). -#}
{%- set grains = ['month', 'quarter', 'year'] -%}

with

advance_rulings as (
    select * from {{ ref('stg_customs__advance_rulings') }}
),

-- the period's declarations: the declarations_count KPI over all channels
period_declarations as (
    select
        period_grain,
        period_start,
        kpi_value as declarations
    from {{ ref('int_kpi_tactical_channels') }}
    where kpi_code = 'declarations_count' and dimension_value = 'all'
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
        rulings.period_grain,
        rulings.period_start,
        'advance_rulings_issued' as kpi_code,
        'ruling_type' as dimension_name,
        rulings.ruling_type as dimension_value,
        cast(rulings.rulings as {{ type_double() }}) as kpi_value
    from rulings
    union all
    select
        rulings.period_grain,
        rulings.period_start,
        'advance_rulings_share_of_declarations' as kpi_code,
        'ruling_type' as dimension_name,
        rulings.ruling_type as dimension_value,
        {{ safe_divide('rulings.rulings', 'period_declarations.declarations') }} as kpi_value
    from rulings
    inner join period_declarations
        on rulings.period_grain = period_declarations.period_grain
            and rulings.period_start = period_declarations.period_start
)

select * from final
