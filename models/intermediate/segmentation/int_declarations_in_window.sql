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
        {{ line_unit_value_columns('declarations') }}
    from declarations
    cross join evaluation_window
    where declarations.declaration_date between evaluation_window.window_start and evaluation_window.as_of_date
)

select * from final
