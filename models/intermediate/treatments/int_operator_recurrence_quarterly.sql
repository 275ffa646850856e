{#- M21 (repeat offenders): per operator and quarter, from its first quarter of
    activity or offence to the last quarter of the data: offences detected (customs
    irregular controls, examination or PCA, by closing date), cumulative offences, the
    number of quarters with an offence so far, the recurrence indicator (macro
    is_repeat_offender on those quarters) and is_reformed: a recurrent
    offender with no offence in the last var reformed_clean_periods quarters (current
    included) that still declared goods in them. The mart repeat_offenders publishes it;
    the KPIs read the date each operator became recurrent from it. -#}
{%- set clean_periods = [var('reformed_clean_periods') | int, 1] | max -%}

with

quarters as (
    select distinct
        quarter_start,
        quarter_end
    from {{ ref('int_declaration_months') }}
),

operator_quarters as (
    select * from {{ ref('int_operator_quarters_summarised') }}
    where lines > 0 or offences > 0
),

operator_span as (
    select
        tin,
        min(quarter_start) as first_quarter_start
    from operator_quarters
    group by tin
),

grid as (
    select
        operator_span.tin,
        quarters.quarter_start,
        quarters.quarter_end
    from operator_span
    inner join quarters
        on operator_span.first_quarter_start <= quarters.quarter_start
),

filled as (
    select
        grid.tin,
        grid.quarter_start,
        grid.quarter_end,
        coalesce(operator_quarters.lines, 0) as lines,
        coalesce(operator_quarters.offences, 0) as offences,
        coalesce(operator_quarters.amount_reassessed_lcu, 0) as amount_reassessed_lcu
    from grid
    left join operator_quarters
        on grid.tin = operator_quarters.tin
            and grid.quarter_start = operator_quarters.quarter_start
),

running as (
    select
        *,
        sum(offences) over (
            partition by tin order by quarter_start rows between unbounded preceding and current row
        ) as cumulative_offences,
        sum(case when offences > 0 then 1 else 0 end) over (
            partition by tin order by quarter_start rows between unbounded preceding and current row
        ) as offence_periods_to_date,
        sum(offences) over (
            partition by tin order by quarter_start rows between {{ clean_periods - 1 }} preceding and current row
        ) as offences_recent,
        sum(lines) over (
            partition by tin order by quarter_start rows between {{ clean_periods - 1 }} preceding and current row
        ) as lines_recent,
        count(*) over (
            partition by tin order by quarter_start rows between {{ clean_periods - 1 }} preceding and current row
        ) as periods_recent,
        max(case when offences > 0 then quarter_start end) over (
            partition by tin order by quarter_start rows between unbounded preceding and current row
        ) as last_offence_quarter_start
    from filled
),

final as (
    select
        tin,
        quarter_start as period_start,
        quarter_end as period_end,
        cast(lines as integer) as lines,
        cast(offences as integer) as offences,
        cast(amount_reassessed_lcu as {{ type_double() }}) as amount_reassessed_lcu,
        cast(cumulative_offences as integer) as cumulative_offences,
        cast(offence_periods_to_date as integer) as offence_periods_to_date,
        {{ is_repeat_offender('offence_periods_to_date') }} as is_recurrent,
        last_offence_quarter_start,
        (
            {{ is_repeat_offender('offence_periods_to_date') }}
            and periods_recent = {{ clean_periods }}
            and offences_recent = 0
            and lines_recent > 0
        ) as is_reformed
    from running
)

select * from final
