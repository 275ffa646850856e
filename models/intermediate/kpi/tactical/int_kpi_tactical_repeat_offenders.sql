{#- M18 (tactical, repeat offenders): per period, the repeat offenders detected (an
    irregular control in the period, recurrent by its end), the amount reassessed on
    them, and those that became compliant (recurrent at its start, no irregular control
    in it). Only the repeat offenders' controls are read: summed per operator and month,
    then added up to quarters and years. -#}
{%- set grains = ['month', 'quarter', 'year'] -%}

with

control_results as (
    select * from {{ ref('stg_customs__control_results') }}
),

periods as (
    select * from {{ ref('int_kpi_periods') }}
),

repeat_offenders as (
    select * from {{ ref('int_kpi_repeat_offenders_dated') }}
),

operator_months as (
    select
        control_results.tin,
        cast({{ dbt.date_trunc('month', 'control_results.control_date') }} as date) as month_start,
        sum(case when control_results.is_irregular then 1 else 0 end) as irregular_controls,
        sum(
            case when control_results.is_irregular then control_results.amount_reassessed_lcu else 0 end
        ) as amount_reassessed_lcu
    from control_results
    inner join repeat_offenders
        on control_results.tin = repeat_offenders.tin
    group by
        control_results.tin,
        cast({{ dbt.date_trunc('month', 'control_results.control_date') }} as date)
),

operator_months_periodised as (
    {% for grain in grains %}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'month_start') }} as date) as period_start,
            tin,
            irregular_controls,
            amount_reassessed_lcu
        from operator_months
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

operator_periods as (
    select
        period_grain,
        period_start,
        tin,
        sum(irregular_controls) as irregular_controls,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu
    from operator_months_periodised
    group by period_grain, period_start, tin
),

operator_periods_flagged as (
    select
        operator_periods.period_grain,
        operator_periods.period_start,
        operator_periods.tin,
        operator_periods.irregular_controls,
        operator_periods.amount_reassessed_lcu,
        repeat_offenders.repeat_offender_since <= periods.period_end as is_repeat_offender_at_end,
        repeat_offenders.repeat_offender_since < periods.period_start as was_repeat_offender_at_start
    from operator_periods
    inner join periods
        on operator_periods.period_grain = periods.period_grain
            and operator_periods.period_start = periods.period_start
    inner join repeat_offenders
        on operator_periods.tin = repeat_offenders.tin
),

repeat_offenders_by_period as (
    select
        periods.period_grain,
        periods.period_start,
        sum(
            case when operator_periods_flagged.irregular_controls > 0
                    and operator_periods_flagged.is_repeat_offender_at_end then 1
                else 0
            end
        ) as repeat_offenders_detected,
        sum(
            case when operator_periods_flagged.irregular_controls > 0
                    and operator_periods_flagged.is_repeat_offender_at_end
                    then operator_periods_flagged.amount_reassessed_lcu
                else 0
            end
        ) as repeat_offender_reassessed_lcu,
        sum(
            case when operator_periods_flagged.irregular_controls = 0
                    and operator_periods_flagged.was_repeat_offender_at_start then 1
                else 0
            end
        ) as repeat_offenders_became_compliant
    from periods
    left join operator_periods_flagged
        on periods.period_grain = operator_periods_flagged.period_grain
            and periods.period_start = operator_periods_flagged.period_start
    group by periods.period_grain, periods.period_start
),

final as (
    select
        period_grain,
        period_start,
        'repeat_offenders_detected' as kpi_code,
        'total' as dimension_name,
        'all' as dimension_value,
        cast(coalesce(repeat_offenders_detected, 0) as {{ type_double() }}) as kpi_value
    from repeat_offenders_by_period
    union all
    select
        period_grain,
        period_start,
        'repeat_offender_reassessed_lcu' as kpi_code,
        'total' as dimension_name,
        'all' as dimension_value,
        coalesce(repeat_offender_reassessed_lcu, 0) as kpi_value
    from repeat_offenders_by_period
    union all
    select
        period_grain,
        period_start,
        'repeat_offenders_became_compliant' as kpi_code,
        'total' as dimension_name,
        'all' as dimension_value,
        coalesce(repeat_offenders_became_compliant, 0) as kpi_value
    from repeat_offenders_by_period
)

select * from final
