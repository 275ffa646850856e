{#- M17 (note Box 2, strategic level): strategic KPIs per period grain, period and
    dimension in long form, with the previous period's value and the variation rate,
    plus the gap between collection growth and trade growth. -#}

with

compared as (
    select * from {{ ref('int_kpi_values_compared') }}
    where kpi_level = 'strategic'
),

kpi_catalogue as (
    select * from {{ ref('kpi_catalogue') }}
),

collection_growth as (
    select * from compared
    where kpi_code = 'collection_usd' and dimension_name = 'tax' and dimension_value = 'all'
),

trade_growth as (
    select * from compared
    where kpi_code = 'trade_value_usd'
),

growth_gap as (
    select
        collection_growth.period_grain,
        collection_growth.period_start,
        collection_growth.period_end,
        collection_growth.is_complete_period,
        'collection_vs_trade_growth_gap' as kpi_code,
        'total' as dimension_name,
        'all' as dimension_value,
        collection_growth.variation_rate - trade_growth.variation_rate as kpi_value,
        cast(null as {{ type_double() }}) as previous_value,
        cast(null as {{ type_double() }}) as variation_rate
    from collection_growth
    inner join trade_growth
        on collection_growth.period_grain = trade_growth.period_grain
            and collection_growth.period_start = trade_growth.period_start
),

unioned as (
    select
        period_grain,
        period_start,
        period_end,
        is_complete_period,
        kpi_code,
        dimension_name,
        dimension_value,
        kpi_value,
        previous_value,
        variation_rate
    from compared
    union all
    select * from growth_gap
),

final as (
    select
        unioned.period_grain,
        unioned.period_start,
        unioned.period_end,
        unioned.is_complete_period,
        unioned.kpi_code,
        kpi_catalogue.m_id,
        kpi_catalogue.unit,
        unioned.dimension_name,
        unioned.dimension_value,
        unioned.kpi_value,
        unioned.previous_value,
        unioned.variation_rate
    from unioned
    inner join kpi_catalogue
        on unioned.kpi_code = kpi_catalogue.kpi_code
)

select {{ stable_select() }} from final
