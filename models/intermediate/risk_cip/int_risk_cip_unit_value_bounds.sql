{#- M16 (note Annex 3, unit price variation analysis): distribution of the unit values
    of each linked tariff line and unit over the window, and its robust lower bound:
    'median_ratio' = ratio x median, 'iqr' = Q1 - k x IQR floored at a share of the
    median (var risk_cip_bound_method; any other value stops the run). A code-unit
    needs var unit_value_min_lines lines before it gets a bound. -#}
{%- set method = var('risk_cip_bound_method') -%}
{%- if execute and method not in ['median_ratio', 'iqr'] -%}
    {{ exceptions.raise_compiler_error("var risk_cip_bound_method is '" ~ method ~ "': use 'median_ratio' or 'iqr' (docs/risk_cip.md).") }}
{%- endif -%}
{%- set ratio = var('risk_cip_median_ratio') or var('unit_value_lower_bound_ratio') -%}
{#- quantiles from a sort of each code-unit's values (macro quantiles_by_sort): a quantile
    aggregate, holding every group's values in its hash table, spilled ~13 GB at 50M beside
    another model (issue 13) -#}
{%- set quantile_columns = {
    'p10_unit_value_usd': 0.10,
    'p25_unit_value_usd': 0.25,
    'median_unit_value_usd': 0.5,
    'p75_unit_value_usd': 0.75,
    'p90_unit_value_usd': 0.90,
} %}
{%- set code_unit = ['hs_code', 'value_unit'] %}

with

import_lines as (
    select
        hs_code,
        value_unit,
        unit_value_usd
    from {{ ref('int_risk_cip_import_lines') }}
    where unit_value_usd > 0
),

quantiles as (
    {{ quantiles_by_sort('import_lines', code_unit, 'unit_value_usd', quantile_columns, 'priced_lines') | indent(4) }}
),

distribution as (
    select
        hs_code,
        value_unit,
        priced_lines,
        cast(p10_unit_value_usd as {{ type_double() }}) as p10_unit_value_usd,
        cast(p25_unit_value_usd as {{ type_double() }}) as p25_unit_value_usd,
        cast(median_unit_value_usd as {{ type_double() }}) as median_unit_value_usd,
        cast(p75_unit_value_usd as {{ type_double() }}) as p75_unit_value_usd,
        cast(p90_unit_value_usd as {{ type_double() }}) as p90_unit_value_usd
    from quantiles
),

with_iqr as (
    select
        *,
        p75_unit_value_usd - p25_unit_value_usd as iqr_unit_value_usd
    from distribution
),

final as (
    select
        *,
        priced_lines >= {{ var('unit_value_min_lines') }} as has_bound,
        case
            when priced_lines < {{ var('unit_value_min_lines') }} then null
            when '{{ method }}' = 'iqr'
                then greatest(
                        p25_unit_value_usd - {{ var('risk_cip_iqr_k') }} * iqr_unit_value_usd,
                        {{ var('risk_cip_iqr_floor_share') }} * median_unit_value_usd
                    )
            when '{{ method }}' = 'median_ratio' then {{ ratio }} * median_unit_value_usd
        end as lower_bound_unit_value_usd,
        '{{ method }}' as bound_method
    from with_iqr
)

select * from final
