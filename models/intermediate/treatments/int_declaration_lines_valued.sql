{{ config(materialized='view') }}
{#- M10: every staged declaration line (all history, not only the window) with its
    unit of value and USD unit value, the same rule as int_declarations_in_window
    (per supplementary unit when a quantity is declared, else per kg). -#}

with

declarations as (
    select * from {{ ref('stg_customs__declarations') }}
),

final as (
    select
        declarations.*,
        case when declarations.quantity > 0 then coalesce(declarations.quantity_unit, 'U') else 'KG' end as value_unit,
        declarations.customs_value_usd / case
            when declarations.quantity > 0 then declarations.quantity
            when declarations.net_mass_kg > 0 then declarations.net_mass_kg
        end as unit_value_usd
    from declarations
)

select * from final
