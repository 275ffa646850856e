{#- M2/M3 (note Steps 2-3): one row per operator and active indicator with the raw
    value and the 0/1 flag, as of the evaluation date. -#}

with

indicator_values as (
    select * from {{ ref('int_operator_indicator_values') }}
),

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

final as (
    select
        indicator_values.tin,
        indicator_values.indicator_code,
        indicator_values.category,
        cast(indicator_values.raw_value as {{ type_double() }}) as raw_value,
        cast(indicator_values.flag as integer) as flag,
        evaluation_window.as_of_date
    from indicator_values
    cross join evaluation_window
)

select {{ stable_select() }} from final
