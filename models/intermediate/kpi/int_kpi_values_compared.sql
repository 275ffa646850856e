{#- M17, M18: every strategic and tactical KPI value set against the value of the same
    KPI and dimension in the previous period of the same grain.
    variation_rate = (value - previous_value) / previous_value, null when there is no
    previous value or it is 0. Periods outside the calendar are dropped. -#}

with

strategic_values as (
    select * from {{ ref('int_kpi_strategic_values') }}
),

tactical_values as (
    select * from {{ ref('int_kpi_tactical_values') }}
),

periods as (
    select * from {{ ref('int_kpi_periods') }}
),

kpi_values as (
    select
        'strategic' as kpi_level,
        period_grain,
        period_start,
        kpi_code,
        dimension_name,
        dimension_value,
        cast(kpi_value as {{ type_double() }}) as kpi_value
    from strategic_values
    union all
    select
        'tactical' as kpi_level,
        period_grain,
        period_start,
        kpi_code,
        dimension_name,
        dimension_value,
        cast(kpi_value as {{ type_double() }}) as kpi_value
    from tactical_values
),

dated as (
    select
        kpi_values.kpi_level,
        kpi_values.period_grain,
        kpi_values.period_start,
        periods.period_end,
        periods.previous_period_start,
        periods.is_complete_period,
        kpi_values.kpi_code,
        kpi_values.dimension_name,
        kpi_values.dimension_value,
        kpi_values.kpi_value
    from kpi_values
    inner join periods
        on kpi_values.period_grain = periods.period_grain
            and kpi_values.period_start = periods.period_start
),

compared as (
    select
        dated.kpi_level,
        dated.period_grain,
        dated.period_start,
        dated.period_end,
        dated.is_complete_period,
        dated.kpi_code,
        dated.dimension_name,
        dated.dimension_value,
        dated.kpi_value,
        previous_period_values.kpi_value as previous_value
    from dated
    left join dated as previous_period_values
        on dated.period_grain = previous_period_values.period_grain
            and dated.previous_period_start = previous_period_values.period_start
            and dated.kpi_code = previous_period_values.kpi_code
            and dated.dimension_name = previous_period_values.dimension_name
            and dated.dimension_value = previous_period_values.dimension_value
),

final as (
    select
        kpi_level,
        period_grain,
        period_start,
        period_end,
        is_complete_period,
        kpi_code,
        dimension_name,
        dimension_value,
        kpi_value,
        previous_value,
        {{ safe_divide('kpi_value - previous_value', 'previous_value') }} as variation_rate
    from compared
)

select * from final
