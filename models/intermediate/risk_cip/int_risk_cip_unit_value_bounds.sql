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
{#- one shared quantile aggregate on DuckDB: the values are held once, not five times (issue 13) -#}
{%- set unit_value_quantiles = quantiles('unit_value_usd', [0.10, 0.25, 0.5, 0.75, 0.90]) -%}

with

import_lines as (
    select
        hs_code,
        value_unit,
        unit_value_usd
    from {{ ref('int_risk_cip_import_lines') }}
    where unit_value_usd > 0
),

distribution as (
    select
        hs_code,
        value_unit,
        count(*) as priced_lines,
        cast({{ unit_value_quantiles[0] }} as {{ type_double() }}) as p10_unit_value_usd,
        cast({{ unit_value_quantiles[1] }} as {{ type_double() }}) as p25_unit_value_usd,
        cast({{ unit_value_quantiles[2] }} as {{ type_double() }}) as median_unit_value_usd,
        cast({{ unit_value_quantiles[3] }} as {{ type_double() }}) as p75_unit_value_usd,
        cast({{ unit_value_quantiles[4] }} as {{ type_double() }}) as p90_unit_value_usd
    from import_lines
    group by hs_code, value_unit
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
