{{ config(materialized='view') }}
{#- M17, M18: every staged declaration line once per reporting grain (month, quarter,
    year), tagged with the start of the period it falls in and whether it is an import
    for consumption (flow I under a regime of var kpi_consumption_regimes). -#}
{%- set regime_list = "'" ~ (var('kpi_consumption_regimes') | join("', '")) ~ "'" -%}

with

declarations as (
    select * from {{ ref('stg_customs__declarations') }}
),

periodised as (
    {% for grain in ['month', 'quarter', 'year'] %}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'declaration_date') }} as date) as period_start,
            declaration_id,
            item_no,
            tin,
            flow,
            regime,
            coalesce(channel, 'unknown') as channel,
            coalesce(transport_mode, 'unknown') as transport_mode,
            coalesce(hs_chapter, 'unknown') as hs_chapter,
            is_aeo,
            release_hours,
            customs_value_usd,
            duty_paid_usd,
            vat_paid_usd,
            excise_paid_usd,
            flow = 'I' and regime in ({{ regime_list }}) as is_import_for_consumption
        from declarations
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        period_grain,
        period_start,
        declaration_id,
        item_no,
        tin,
        flow,
        regime,
        channel,
        transport_mode,
        hs_chapter,
        is_aeo,
        release_hours,
        customs_value_usd,
        duty_paid_usd,
        vat_paid_usd,
        excise_paid_usd,
        duty_paid_usd + vat_paid_usd + excise_paid_usd as collection_usd,
        is_import_for_consumption
    from periodised
)

select * from final
