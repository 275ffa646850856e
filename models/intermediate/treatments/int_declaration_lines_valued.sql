{{ config(materialized='view') }}
{#- M10: every staged declaration line (all history, not only the window) with its
    unit of value and USD unit value, the rule of macro line_unit_value_columns (per supplementary
    unit when a quantity is declared, else per kg). -#}

with

declarations as (
    select * from {{ ref('stg_customs__declarations') }}
),

final as (
    select
        declarations.*,
        {{ line_unit_value_columns('declarations') }}
    from declarations
)

select * from final
