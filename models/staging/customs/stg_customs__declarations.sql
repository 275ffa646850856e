{{ config(
    materialized='incremental',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
) }}
{#- Materialised: every operator-level model scans it, and the USD conversion is done once.
    Incremental (issue 7, docs/incremental.md): the declaration-level fact. A run takes the
    base rows (re)written by the latest load (_load_seq) and replaces the lines they touch,
    so a late correction replaces the earlier version of its line. Re-running it without a
    new load rewrites the same lines with the same values. -#}

with

source as (
    select * from {{ ref('base_customs__declarations') }}
    where _row_status = 'staged'
        {% if is_incremental() -%}
            and _load_seq = (select max(_load_seq) from {{ ref('base_customs__declarations') }})
        {%- endif %}
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
