{{ config(materialized='view') }}
{#- M16: import lines of the window on the tariff lines linked to the selected risk,
    with the units their unit value is expressed in and the taxes collected. -#}

with

declarations as (
    select * from {{ ref('int_declarations_in_window') }}
    where flow = 'I'
),

linked_codes as (
    select * from {{ ref('int_risk_cip_hs_codes_linked') }}
),

final as (
    select
        declarations.declaration_id,
        declarations.item_no,
        declarations.tin,
        declarations.hs_code,
        declarations.declaration_date,
        declarations.value_unit,
        declarations.unit_value_usd,
        case
            when declarations.quantity > 0 then declarations.quantity
            when declarations.net_mass_kg > 0 then declarations.net_mass_kg
        end as units,
        declarations.customs_value_usd,
        declarations.duty_paid_usd,
        declarations.vat_paid_usd,
        declarations.excise_paid_usd,
        declarations.duty_paid_usd + declarations.vat_paid_usd + declarations.excise_paid_usd as collection_usd
    from declarations
    inner join linked_codes
        on declarations.hs_code = linked_codes.hs_code
)

select * from final
