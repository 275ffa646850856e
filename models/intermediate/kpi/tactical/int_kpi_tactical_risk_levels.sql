{#- M18/M21 (tactical): evolution of operators by risk level, for every period that
    ends on a quarter end: the operators at each level (macro risk_level, M6) on the
    point-in-time GRI of that quarter end (int_operator_gri_quarterly, the same source
    as the mart risk_level_history). -#}

with

periods as (
    select * from {{ ref('int_kpi_periods') }}
),

quarterly_gri as (
    select * from {{ ref('int_operator_gri_quarterly') }}
),

quarterly_levels as (
    select
        period_end,
        {{ risk_level('gri') }} as risk_level
    from quarterly_gri
),

final as (
    select
        periods.period_grain,
        periods.period_start,
        'operators_by_risk_level' as kpi_code,
        'risk_level' as dimension_name,
        quarterly_levels.risk_level as dimension_value,
        cast(count(*) as {{ type_double() }}) as kpi_value
    from periods
    inner join quarterly_levels
        on periods.period_end = quarterly_levels.period_end
    group by periods.period_grain, periods.period_start, quarterly_levels.risk_level
)

select * from final
