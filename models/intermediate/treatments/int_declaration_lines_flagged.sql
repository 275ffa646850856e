{{ config(materialized='view') }}
{#- M10 (declaration-level selectivity): every staged declaration line with the
    transaction-level risk flags known ON ITS DECLARATION DATE: broker, tariff line and
    origin risky as of the first day of its month, unit value below the norm of the
    preceding months, and first-time operator (no declaration on an earlier day).
    Joins small monthly tables only; one pass over the lines.
    A view, not a table: its two consumers (declaration_risk, which writes the lines,
    and int_operator_quarters_summarised, which sums them) each compute the flags in
    one pass for less than writing 10M lines once cost. Every CTE over the lines is
    referenced once, so the database streams it instead of materialising it; the first
    declaration dates are therefore read from the staged lines in their own scan. -#}

with

declarations as (
    select * from {{ ref('int_declaration_lines_valued') }}
),

months as (
    select * from {{ ref('int_declaration_months') }}
),

risky_brokers as (
    select
        month_start,
        dimension_value as declarant_id
    from {{ ref('int_risky_dimensions_monthly') }}
    where dimension = 'declarant_id'
),

risky_hs_codes as (
    select
        month_start,
        dimension_value as hs_code
    from {{ ref('int_risky_dimensions_monthly') }}
    where dimension = 'hs_code'
),

risky_countries as (
    select
        month_start,
        dimension_value as country_code
    from {{ ref('int_risky_dimensions_monthly') }}
    where dimension = 'origin_country'
),

unit_value_norms as (
    select * from {{ ref('int_unit_value_norms_monthly') }}
),

first_declarations as (
    select
        tin,
        min(declaration_date) as first_declaration_date
    from {{ ref('stg_customs__declarations') }}
    group by tin
),

final as (
    select
        -- ids
        declarations.declaration_id,
        declarations.item_no,
        declarations.tin,
        declarations.declarant_id,
        declarations.supplier_id,
        declarations.office_code,
        declarations.hs_code,
        declarations.hs_subheading,
        declarations.hs_chapter,
        declarations.origin_country,
        declarations.departure_country,
        declarations.flow,
        declarations.regime,
        declarations.transport_mode,
        declarations.tax_type,
        declarations.channel,
        declarations.is_aeo,
        declarations.is_exempt,
        -- dates
        declarations.declaration_date,
        declarations.declaration_month,
        months.quarter_start,
        months.previous_quarter_end,
        -- amounts
        declarations.customs_value_usd,
        declarations.net_mass_kg,
        declarations.value_unit,
        declarations.unit_value_usd,
        declarations.duty_rate,
        declarations.duty_paid_usd + declarations.vat_paid_usd + declarations.excise_paid_usd as taxes_paid_usd,
        -- point-in-time flags
        risky_brokers.declarant_id is not null as is_risky_broker,
        risky_hs_codes.hs_code is not null as is_risky_hs,
        declarations.flow = 'I' and risky_countries.country_code is not null as is_risky_origin,
        declarations.flow = 'I' and unit_value_norms.hs_code is not null as has_unit_value_norm,
        coalesce(
            declarations.flow = 'I'
            and declarations.unit_value_usd < unit_value_norms.lower_bound_unit_value_usd,
            false
        ) as is_below_unit_value_norm,
        declarations.declaration_date = first_declarations.first_declaration_date as is_first_time_operator
    from declarations
    inner join months
        on declarations.declaration_month = months.month_start
    inner join first_declarations
        on declarations.tin = first_declarations.tin
    left join risky_brokers
        on declarations.declaration_month = risky_brokers.month_start
            and declarations.declarant_id = risky_brokers.declarant_id
    left join risky_hs_codes
        on declarations.declaration_month = risky_hs_codes.month_start
            and declarations.hs_code = risky_hs_codes.hs_code
    left join risky_countries
        on declarations.declaration_month = risky_countries.month_start
            and declarations.origin_country = risky_countries.country_code
    left join unit_value_norms
        on declarations.declaration_month = unit_value_norms.month_start
            and declarations.hs_code = unit_value_norms.hs_code
            and declarations.value_unit = unit_value_norms.value_unit
)

select * from final
