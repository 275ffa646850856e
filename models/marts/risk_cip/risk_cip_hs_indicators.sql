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

code_months as (
    -- lines summed per tariff line, month and importer first: the periods below are
    -- calendar months, quarters and years, so each is a union of whole months
    select
        hs_code,
        cast({{ dbt.date_trunc('month', 'declaration_date') }} as date) as month_start,
        tin,
        sum(customs_value_usd) as customs_value_usd,
        sum(vat_paid_usd) as vat_paid_usd,
        sum(duty_paid_usd) as duty_paid_usd,
        sum(excise_paid_usd) as excise_paid_usd
    from import_lines
    group by hs_code, cast({{ dbt.date_trunc('month', 'declaration_date') }} as date), tin
),

importer_periods as (
    -- one row per tariff line, period and importer: the importers of a period are then
    -- a count, not a count(distinct) over the lines. Months are code_months itself.
    {%- for grain in ['month', 'quarter', 'year'] %}
        select
            code_months.hs_code,
            periods.period_grain,
            periods.period_start,
            code_months.tin,
            {%- if grain == 'month' %}
                code_months.customs_value_usd,
                code_months.vat_paid_usd,
                code_months.duty_paid_usd,
                code_months.excise_paid_usd
            {%- else %}
                sum(code_months.customs_value_usd) as customs_value_usd,
                sum(code_months.vat_paid_usd) as vat_paid_usd,
                sum(code_months.duty_paid_usd) as duty_paid_usd,
                sum(code_months.excise_paid_usd) as excise_paid_usd
            {%- endif %}
        from code_months
        inner join periods
            on periods.period_grain = '{{ grain }}'
                and cast({{ dbt.date_trunc(grain, 'code_months.month_start') }} as date) = periods.period_start
        {%- if grain != 'month' %}
            group by code_months.hs_code, periods.period_grain, periods.period_start, code_months.tin
        {%- endif %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
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
        count(tin) as importers
    from importer_periods
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

select {{ stable_select() }} from final
