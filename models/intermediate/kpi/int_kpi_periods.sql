{#- M17-M19: the reporting calendar. One row per month, quarter and year touched by the
    declarations or the control results, with the start of the period before it. -#}
{%- set grains = [('month', 1), ('quarter', 3), ('year', 12)] -%}

with

declarations as (
    select
        min(declaration_date) as first_date,
        max(declaration_date) as last_date
    from {{ ref('stg_customs__declarations') }}
),

control_results as (
    select
        min(control_date) as first_date,
        max(control_date) as last_date
    from {{ ref('stg_customs__control_results') }}
),

data_range as (
    select
        least(declarations.first_date, coalesce(control_results.first_date, declarations.first_date)) as first_date,
        greatest(declarations.last_date, coalesce(control_results.last_date, declarations.last_date)) as last_date
    from declarations
    cross join control_results
),

digits as (
    select 0 as digit
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9
),

month_offsets as (
    select hundreds.digit * 100 + tens.digit * 10 + units.digit as month_offset
    from digits as hundreds
    cross join digits as tens
    cross join digits as units
),

months as (
    select
        cast({{ dbt.dateadd('month', 'month_offsets.month_offset',
            'cast(' ~ dbt.date_trunc('month', 'data_range.first_date') ~ ' as date)') }} as date) as month_start
    from month_offsets
    cross join data_range
    where {{ dbt.dateadd('month', 'month_offsets.month_offset',
        'cast(' ~ dbt.date_trunc('month', 'data_range.first_date') ~ ' as date)') }} <= data_range.last_date
),

periods as (
    {% for grain, months_in_grain in grains %}
        select distinct
            '{{ grain }}' as period_grain,
            {{ months_in_grain }} as months_in_period,
            cast({{ dbt.date_trunc(grain, 'months.month_start') }} as date) as period_start
        from months
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        periods.period_grain,
        periods.period_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 'periods.months_in_period', 'periods.period_start')) }} as date)
            as period_end,
        cast({{ dbt.dateadd('month', '-1 * periods.months_in_period', 'periods.period_start') }} as date)
            as previous_period_start,
        periods.period_start >= data_range.first_date
        and {{ dbt.dateadd('day', -1, dbt.dateadd('month', 'periods.months_in_period', 'periods.period_start')) }}
        <= data_range.last_date as is_complete_period
    from periods
    cross join data_range
)

select * from final
