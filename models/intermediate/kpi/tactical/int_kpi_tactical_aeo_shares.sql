{#- M18 (tactical): AEO shares of declarations and of customs value, per period and
    flow ('all' = every flow), from the declarations counted per period. -#}

with

declaration_counts as (
    select * from {{ ref('int_kpi_declarations_summarised') }}
    where breakdown = 'flow_channel'
),

aeo_by_flow as (
    select
        period_grain,
        period_start,
        flow,
        sum(declarations) as declarations,
        sum(case when is_aeo then declarations else 0 end) as aeo_declarations,
        sum(customs_value_usd) as customs_value_usd,
        sum(aeo_value_usd) as aeo_value_usd
    from declaration_counts
    group by period_grain, period_start, flow
    union all
    select
        period_grain,
        period_start,
        'all' as flow,
        sum(declarations) as declarations,
        sum(case when is_aeo then declarations else 0 end) as aeo_declarations,
        sum(customs_value_usd) as customs_value_usd,
        sum(aeo_value_usd) as aeo_value_usd
    from declaration_counts
    group by period_grain, period_start
),

final as (
    select
        period_grain,
        period_start,
        'aeo_declaration_share' as kpi_code,
        'flow' as dimension_name,
        flow as dimension_value,
        {{ safe_divide('aeo_declarations', 'declarations') }} as kpi_value
    from aeo_by_flow
    union all
    select
        period_grain,
        period_start,
        'aeo_value_share' as kpi_code,
        'flow' as dimension_name,
        flow as dimension_value,
        {{ safe_divide('aeo_value_usd', 'customs_value_usd') }} as kpi_value
    from aeo_by_flow
)

select * from final
