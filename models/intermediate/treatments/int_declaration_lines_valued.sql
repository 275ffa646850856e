{{ config(materialized='view') }}
{#- M10: every staged declaration line (all history, not only the window) with its
    unit of value and USD unit value, the rule of macro line_unit_value_columns (per supplementary
    unit when a quantity is declared, else per kg), and the duty rate that applies to it:
    the declared rate, else the tariff line's rate in the nomenclature. -#}

with

declarations as (
    select * from {{ ref('stg_customs__declarations') }}
),

tariff_lines as (
    select
        hs_code,
        duty_rate
    from {{ ref('stg_reference__hs_nomenclature') }}
),

final as (
    select
        declarations.*,
        {{ line_unit_value_columns('declarations') }},
        coalesce(declarations.declared_duty_rate, tariff_lines.duty_rate) as duty_rate
    from declarations
    left join tariff_lines
        on declarations.hs_code = tariff_lines.hs_code
)

select * from final
