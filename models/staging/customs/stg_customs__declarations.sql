{{ config(materialized='view') }}
{#- The declaration-level fact: the staged rows of base_customs__declarations, which is
    materialised incrementally (issue 7, docs/incremental.md): new files append, a late
    correction supersedes the earlier version of its line. A view, not a second copy:
    at 10M lines writing the 40 columns again cost more than every consumer reading
    the few columns it needs from the base table (docs/benchmarks.md). -#}

with

source as (
    select * from {{ ref('base_customs__declarations') }}
    where _row_status = 'staged'
),

renamed as (
    select
        -- ids
        declaration_id,
        item_no,
        line_version,
        tin,
        declarant_id,
        supplier_id,
        office_code,
        -- classification
        hs_code,
        substr(hs_code, 1, 2) as hs_chapter,
        substr(hs_code, 1, 6) as hs_subheading,
        flow,
        regime,
        exemption_code,
        exemption_code is not null as is_exempt,
        tax_type,
        origin_country,
        departure_country,
        transport_mode,
        channel,
        currency,
        quantity_unit,
        -- flags
        coalesce(is_aeo, false) as is_aeo,
        has_e_value_declaration,
        manifest_filed_in_advance,
        -- quantities
        net_mass_kg,
        quantity,
        release_hours,
        duty_rate as declared_duty_rate,
        -- amounts in original currencies
        customs_value,
        duty_paid as duty_paid_lcu,
        vat_paid as vat_paid_lcu,
        coalesce(excise_paid, 0) as excise_paid_lcu,
        customs_value * invoice_usd_per_unit / lcu_usd_per_unit as customs_value_lcu,
        -- amounts in USD (M1: CIF for imports, FOB for exports)
        customs_value * invoice_usd_per_unit as customs_value_usd,
        duty_paid * lcu_usd_per_unit as duty_paid_usd,
        vat_paid * lcu_usd_per_unit as vat_paid_usd,
        coalesce(excise_paid, 0) * lcu_usd_per_unit as excise_paid_usd,
        -- dates
        declaration_date,
        declaration_month
    from source
)

select * from renamed
