{{ config(materialized='view') }}
{#- M16: every import line of a linked tariff line against its code-unit's lower bound:
    whether it falls below, the value at stake (bound x units - declared value, USD)
    and the duty, VAT and excise at stake at the line's own effective rates. -#}

with

import_lines as (
    select * from {{ ref('int_risk_cip_import_lines') }}
    where unit_value_usd > 0
),

bounds as (
    select * from {{ ref('int_risk_cip_unit_value_bounds') }}
    where has_bound
),

compared as (
    select
        import_lines.*,
        bounds.lower_bound_unit_value_usd,
        import_lines.unit_value_usd < bounds.lower_bound_unit_value_usd as is_below_bound
    from import_lines
    inner join bounds
        on import_lines.hs_code = bounds.hs_code
            and import_lines.value_unit = bounds.value_unit
),

at_stake as (
    select
        *,
        case
            when is_below_bound then lower_bound_unit_value_usd * units - customs_value_usd
            else 0
        end as value_at_stake_usd
    from compared
),

final as (
    select
        *,
        coalesce(value_at_stake_usd * {{ safe_divide('duty_paid_usd', 'customs_value_usd') }}, 0) as duty_at_stake_usd,
        coalesce(value_at_stake_usd * {{ safe_divide('vat_paid_usd', 'customs_value_usd') }}, 0) as vat_at_stake_usd,
        coalesce(value_at_stake_usd * {{ safe_divide('excise_paid_usd', 'customs_value_usd') }}, 0)
            as excise_at_stake_usd
    from at_stake
)

select * from final
