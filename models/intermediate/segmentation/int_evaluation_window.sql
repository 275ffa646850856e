{#- M1: the as-of date and the window every operator-level figure is computed over.
    as_of_date (var, validated) or, when null, the last declaration date whose trailing
    7-day volume (staged lines dated that day and the six before) is at least
    var('as_of_min_volume_share') of the median trailing 7-day volume over the dates with
    lines: a few stray lines dated after the real end of the data (a typo in the year,
    say) never move it (issue 16, docs/source_contract.md). Nothing after it is read.
    No staged declaration at all stops the run with the reason. -#}
{%- set window_months = cip_int_var('window_months', min_value=1) -%}
{%- set as_of_var = cip_date_var('as_of_date') -%}
{%- set min_share = cip_number_var('as_of_min_volume_share', low=0, high=1) -%}
{%- set no_declarations = "No staged declaration: every raw declaration row was rejected (reasons in"
    ~ " staging.stg_quarantine__rejected_rows) or the declarations hold no rows."
    ~ " Fix the export, or set var as_of_date." -%}

with

daily as (
    select
        declaration_date,
        count(*) as lines
    from {{ ref('stg_customs__declarations') }}
    group by declaration_date
),

trailing_week as (
    -- a self-join over the (few hundred) dates: portable, and cheap
    select
        this_day.declaration_date,
        sum(earlier_days.lines) as trailing_lines
    from daily as this_day
    inner join daily as earlier_days
        on this_day.declaration_date >= earlier_days.declaration_date
            and cast({{ dbt.dateadd('day', -7, 'this_day.declaration_date') }} as date) < earlier_days.declaration_date
    group by this_day.declaration_date
),

normal as (
    select {{ median('trailing_lines') }} as median_trailing_lines
    from trailing_week
),

derived as (
    select max(trailing_week.declaration_date) as last_full_date
    from trailing_week
    cross join normal
    where trailing_week.trailing_lines >= {{ min_share }} * normal.median_trailing_lines
),

as_of as (
    select
        {% if as_of_var -%}
            cast({{ sql_string(as_of_var) }} as date)
        {%- else -%}
            coalesce(
                last_full_date,
                cast({{ raise_error_sql(no_declarations) }} as date)
            )
        {%- endif %} as as_of_date
    from derived
),

final as (
    select
        as_of_date,
        {{ window_months }} as window_months,
        {{ evaluation_window_start('as_of_date') }} as window_start,
        {{ evaluation_recent_half_start('as_of_date') }} as recent_half_start
    from as_of
)

select * from final
