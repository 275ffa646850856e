{#- M16 (note Annex 3, table 1): per linked tariff line and period (month, quarter and
    year, column period_grain): CIF, VAT, duty and excise (USD) and the number of
    importers, each with its variation on the previous period of the same grain
    ((current - previous) / previous; null when the previous is zero). Periods with no
    import of the code are kept with zeros so the variation is always period on period. -#}

with

periods as (
    select * from {{ ref('int_risk_cip_periods') }}
),

linked_codes as (
    select * from {{ ref('int_risk_cip_hs_codes_linked') }}
),

import_lines as (
    select * from {{ ref('int_risk_cip_import_lines') }}
),

lines_in_periods as (
    select
        import_lines.hs_code,
        periods.period_grain,
        periods.period_start,
        import_lines.tin,
        import_lines.customs_value_usd,
        import_lines.vat_paid_usd,
        import_lines.duty_paid_usd,
        import_lines.excise_paid_usd
    from import_lines
    inner join periods
        on import_lines.declaration_date between periods.period_start and periods.period_end
),

aggregated as (
    select
        hs_code,
        period_grain,
        period_start,
        sum(customs_value_usd) as cif_usd,
        sum(vat_paid_usd) as vat_usd,
        sum(duty_paid_usd) as duty_usd,
        sum(excise_paid_usd) as excise_usd,
        count(distinct tin) as importers
    from lines_in_periods
    group by hs_code, period_grain, period_start
),

code_periods as (
    select
        linked_codes.hs_code,
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.previous_period_start,
        periods.is_full_period,
        coalesce(aggregated.cif_usd, 0) as cif_usd,
        coalesce(aggregated.vat_usd, 0) as vat_usd,
        coalesce(aggregated.duty_usd, 0) as duty_usd,
        coalesce(aggregated.excise_usd, 0) as excise_usd,
        coalesce(aggregated.importers, 0) as importers
    from linked_codes
    cross join periods
    left join aggregated
        on linked_codes.hs_code = aggregated.hs_code
            and periods.period_grain = aggregated.period_grain
            and periods.period_start = aggregated.period_start
),

with_previous as (
    select
        code_periods.*,
        previous_periods.cif_usd as previous_cif_usd,
        previous_periods.vat_usd as previous_vat_usd,
        previous_periods.duty_usd as previous_duty_usd,
        previous_periods.excise_usd as previous_excise_usd,
        previous_periods.importers as previous_importers
    from code_periods
    left join code_periods as previous_periods
        on code_periods.hs_code = previous_periods.hs_code
            and code_periods.period_grain = previous_periods.period_grain
            and code_periods.previous_period_start = previous_periods.period_start
),

final as (
    select
        hs_code,
        period_grain,
        period_start,
        period_end,
        is_full_period,
        cast(cif_usd as {{ type_double() }}) as cif_usd,
        {{ safe_divide('cif_usd - previous_cif_usd', 'previous_cif_usd') }} as cif_variation,
        cast(vat_usd as {{ type_double() }}) as vat_usd,
        {{ safe_divide('vat_usd - previous_vat_usd', 'previous_vat_usd') }} as vat_variation,
        cast(duty_usd as {{ type_double() }}) as duty_usd,
        {{ safe_divide('duty_usd - previous_duty_usd', 'previous_duty_usd') }} as duty_variation,
        cast(excise_usd as {{ type_double() }}) as excise_usd,
        {{ safe_divide('excise_usd - previous_excise_usd', 'previous_excise_usd') }} as excise_variation,
        cast(importers as bigint) as importers,
        {{ safe_divide('importers - previous_importers', 'previous_importers') }} as importers_variation
    from with_previous
)

select * from final
