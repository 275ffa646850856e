{{ config(materialized='view') }}
{#- Declaration lines inside the evaluation window, with the half they fall in
    (growth indicators compare the halves). -#}

with

declarations as (
    select * from {{ ref('stg_customs__declarations') }}
),

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

final as (
    select
        declarations.*,
        declarations.declaration_date >= evaluation_window.recent_half_start as is_recent_half,
        -- unit value for the HS norm (M2 unit-price indicator, M16): per supplementary unit, else per kg
        case when declarations.quantity > 0 then coalesce(declarations.quantity_unit, 'U') else 'KG' end as value_unit,
        declarations.customs_value_usd / case
            when declarations.quantity > 0 then declarations.quantity
            when declarations.net_mass_kg > 0 then declarations.net_mass_kg
        end as unit_value_usd
    from declarations
    cross join evaluation_window
    where declarations.declaration_date between evaluation_window.window_start and evaluation_window.as_of_date
)

select * from final
