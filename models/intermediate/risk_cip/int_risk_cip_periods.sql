{#- M16 (note Annex 3, table 1): the months, quarters and years the window touches, each
    with the period before it (for period-on-period variation) and whether the window
    covers it whole. -#}

with

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

declarations as (
    select distinct declaration_date
    from {{ ref('int_declarations_in_window') }}
),

periods as (
    {%- for grain in ['month', 'quarter', 'year'] %}
        select distinct
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'declaration_date') }} as date) as period_start
        from declarations
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

bounded as (
    select
        periods.period_grain,
        periods.period_start,
        cast(case periods.period_grain
            when 'month' then {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'periods.period_start')) }}
            when 'quarter' then {{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'periods.period_start')) }}
            else {{ dbt.dateadd('day', -1, dbt.dateadd('month', 12, 'periods.period_start')) }}
        end as date) as period_end,
        evaluation_window.window_start,
        evaluation_window.as_of_date
    from periods
    cross join evaluation_window
),

final as (
    select
        period_grain,
        period_start,
        period_end,
        cast(case period_grain
            when 'month' then {{ dbt.dateadd('month', -1, 'period_start') }}
            when 'quarter' then {{ dbt.dateadd('month', -3, 'period_start') }}
            else {{ dbt.dateadd('month', -12, 'period_start') }}
        end as date) as previous_period_start,
        period_start >= window_start and period_end <= as_of_date as is_full_period
    from bounded
)

select * from final
