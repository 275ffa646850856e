{#- M1: the as-of date and the window every operator-level figure covers, one row, for the
    readers outside dbt (the report's title, cip explain, the backtest). -#}

with

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

final as (
    select
        as_of_date,
        cast(window_months as integer) as window_months,
        window_start,
        recent_half_start
    from evaluation_window
)

select {{ stable_select() }} from final
