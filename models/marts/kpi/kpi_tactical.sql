{#- M18 (note Box 2, tactical level): tactical KPIs per period grain, period and
    dimension in long form, with the previous period's value and the variation rate
    (the evolution the note asks for). -#}

with

compared as (
    select * from {{ ref('int_kpi_values_compared') }}
    where kpi_level = 'tactical'
),

kpi_catalogue as (
    select * from {{ ref('kpi_catalogue') }}
),

final as (
    select
        compared.period_grain,
        compared.period_start,
        compared.period_end,
        compared.is_complete_period,
        compared.kpi_code,
        kpi_catalogue.m_id,
        kpi_catalogue.unit,
        compared.dimension_name,
        compared.dimension_value,
        compared.kpi_value,
        compared.previous_value,
        compared.variation_rate
    from compared
    inner join kpi_catalogue
        on compared.kpi_code = kpi_catalogue.kpi_code
)

select {{ stable_select() }} from final
