{#- M21/M10: the dates the GRI is evaluated at. The current as-of date (M1) and every
    quarter end before it with declarations; each with the window ending there, computed
    as int_evaluation_window computes the current one. The day after a quarter end is
    the month whose point-in-time risk lists and norms were known at that quarter end. -#}

with

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

months as (
    select * from {{ ref('int_declaration_months') }}
),

quarter_ends as (
    select distinct months.quarter_end as as_of_date
    from months
    cross join evaluation_window
    where months.quarter_end < evaluation_window.as_of_date
),

evaluation_dates as (
    select
        as_of_date,
        false as is_current_as_of
    from quarter_ends
    union all
    select
        as_of_date,
        true as is_current_as_of
    from evaluation_window
),

final as (
    select
        as_of_date,
        is_current_as_of,
        {{ evaluation_window_start('as_of_date') }} as window_start,
        {{ evaluation_recent_half_start('as_of_date') }} as recent_half_start,
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as date) as lists_month_start
    from evaluation_dates
)

select * from final
