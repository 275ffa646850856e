{#- M18 (tactical): declarations per period and channel ('all' = every channel) and
    each channel's share of the period's declarations. -#}

with

declaration_counts as (
    select * from {{ ref('int_kpi_declarations_summarised') }}
    where breakdown = 'flow_channel'
),

period_declarations as (
    select
        period_grain,
        period_start,
        sum(declarations) as declarations
    from declaration_counts
    group by period_grain, period_start
),

channels as (
    select
        period_grain,
        period_start,
        channel,
        sum(declarations) as declarations
    from declaration_counts
    group by period_grain, period_start, channel
),

final as (
    select
        channels.period_grain,
        channels.period_start,
        'declarations_count' as kpi_code,
        'channel' as dimension_name,
        channels.channel as dimension_value,
        cast(channels.declarations as {{ type_double() }}) as kpi_value
    from channels
    union all
    select
        period_declarations.period_grain,
        period_declarations.period_start,
        'declarations_count' as kpi_code,
        'channel' as dimension_name,
        'all' as dimension_value,
        period_declarations.declarations as kpi_value
    from period_declarations
    union all
    select
        channels.period_grain,
        channels.period_start,
        'declarations_share' as kpi_code,
        'channel' as dimension_name,
        channels.channel as dimension_value,
        {{ safe_divide('channels.declarations', 'period_declarations.declarations') }} as kpi_value
    from channels
    inner join period_declarations
        on channels.period_grain = period_declarations.period_grain
            and channels.period_start = period_declarations.period_start
)

select * from final
