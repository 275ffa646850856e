{#- M16 (note Annex 3, unit price variation analysis): per linked tariff line and unit,
    the distribution of declared unit values over the window, its robust lower bound
    (var risk_cip_bound_method), the declarations and importers below it, the value at
    stake (what the lines below would be worth at the bound, less what was declared,
    USD) and the duty, VAT and excise at stake at each line's effective rates. -#}

with

bounds as (
    select * from {{ ref('int_risk_cip_unit_value_bounds') }}
),

lines_priced as (
    select * from {{ ref('int_risk_cip_lines_priced') }}
),

below_bound as (
    select
        hs_code,
        value_unit,
        count(*) as lines_below_bound,
        count(distinct declaration_id) as declarations_below_bound,
        count(distinct tin) as importers_below_bound,
        sum(value_at_stake_usd) as value_at_stake_usd,
        sum(duty_at_stake_usd) as duty_at_stake_usd,
        sum(vat_at_stake_usd) as vat_at_stake_usd,
        sum(excise_at_stake_usd) as excise_at_stake_usd
    from lines_priced
    where is_below_bound
    group by hs_code, value_unit
),

final as (
    select
        bounds.hs_code,
        bounds.value_unit,
        cast(bounds.priced_lines as bigint) as priced_lines,
        bounds.p10_unit_value_usd,
        bounds.p25_unit_value_usd,
        bounds.median_unit_value_usd,
        bounds.p75_unit_value_usd,
        bounds.p90_unit_value_usd,
        cast(bounds.iqr_unit_value_usd as {{ type_double() }}) as iqr_unit_value_usd,
        bounds.bound_method,
        bounds.has_bound,
        cast(bounds.lower_bound_unit_value_usd as {{ type_double() }}) as lower_bound_unit_value_usd,
        cast(coalesce(below_bound.lines_below_bound, 0) as bigint) as lines_below_bound,
        cast(coalesce(below_bound.declarations_below_bound, 0) as bigint) as declarations_below_bound,
        cast(coalesce(below_bound.importers_below_bound, 0) as bigint) as importers_below_bound,
        cast(coalesce(below_bound.value_at_stake_usd, 0) as {{ type_double() }}) as value_at_stake_usd,
        cast(coalesce(below_bound.duty_at_stake_usd, 0) as {{ type_double() }}) as duty_at_stake_usd,
        cast(coalesce(below_bound.vat_at_stake_usd, 0) as {{ type_double() }}) as vat_at_stake_usd,
        cast(coalesce(below_bound.excise_at_stake_usd, 0) as {{ type_double() }}) as excise_at_stake_usd
    from bounds
    left join below_bound
        on bounds.hs_code = below_bound.hs_code
            and bounds.value_unit = below_bound.value_unit
)

select {{ stable_select() }} from final
