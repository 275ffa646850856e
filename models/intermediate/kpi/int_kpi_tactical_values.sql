{#- M18 (note Box 2, tactical level): the value of each tactical KPI per period grain,
    period and dimension, before the period-on-period comparison. Declarations and
    controls are read already counted per period (int_kpi_declarations_summarised,
    int_kpi_controls_summarised); repeat offenders' controls are summed per operator and
    month, then added up to quarters and years. -#}
{%- set grains = ['month', 'quarter', 'year'] -%}

with

declaration_counts as (
    select * from {{ ref('int_kpi_declarations_summarised') }}
    where breakdown = 'flow_channel'
),

controls as (
    select * from {{ ref('int_kpi_controls_summarised') }}
),

control_results as (
    select * from {{ ref('stg_customs__control_results') }}
),

periods as (
    select * from {{ ref('int_kpi_periods') }}
),

repeat_offenders as (
    select * from {{ ref('int_kpi_repeat_offenders_dated') }}
),

advance_rulings as (
    select * from {{ ref('stg_customs__advance_rulings') }}
),

risk_level_history as (
    select * from {{ ref('risk_level_history') }}
),

aeo_by_flow as (
    select
        period_grain,
        period_start,
        flow,
        sum(declarations) as declarations,
        sum(case when is_aeo then declarations else 0 end) as aeo_declarations,
        sum(customs_value_usd) as customs_value_usd,
        sum(aeo_value_usd) as aeo_value_usd
    from declaration_counts
    group by period_grain, period_start, flow
    union all
    select
        period_grain,
        period_start,
        'all' as flow,
        sum(declarations) as declarations,
        sum(case when is_aeo then declarations else 0 end) as aeo_declarations,
        sum(customs_value_usd) as customs_value_usd,
        sum(aeo_value_usd) as aeo_value_usd
    from declaration_counts
    group by period_grain, period_start
),

aeo_long as (
    select
        period_grain,
        period_start,
        'aeo_declaration_share' as kpi_code,
        'flow' as dimension_name,
        flow as dimension_value,
        {{ safe_divide('aeo_declarations', 'declarations') }} as kpi_value
    from aeo_by_flow
    union all
    select
        period_grain,
        period_start,
        'aeo_value_share' as kpi_code,
        'flow' as dimension_name,
        flow as dimension_value,
        {{ safe_divide('aeo_value_usd', 'customs_value_usd') }} as kpi_value
    from aeo_by_flow
),

period_declarations as (
    select
        period_grain,
        period_start,
        sum(declarations) as declarations
    from declaration_counts
    group by period_grain, period_start
),

channels as (
    select
        period_grain,
        period_start,
        channel,
        sum(declarations) as declarations
    from declaration_counts
    group by period_grain, period_start, channel
),

channels_long as (
    select
        channels.period_grain,
        channels.period_start,
        'declarations_count' as kpi_code,
        'channel' as dimension_name,
        channels.channel as dimension_value,
        cast(channels.declarations as {{ type_double() }}) as kpi_value
    from channels
    union all
    select
        period_declarations.period_grain,
        period_declarations.period_start,
        'declarations_count' as kpi_code,
        'channel' as dimension_name,
        'all' as dimension_value,
        period_declarations.declarations as kpi_value
    from period_declarations
    union all
    select
        channels.period_grain,
        channels.period_start,
        'declarations_share' as kpi_code,
        'channel' as dimension_name,
        channels.channel as dimension_value,
        {{ safe_divide('channels.declarations', 'period_declarations.declarations') }} as kpi_value
    from channels
    inner join period_declarations
        on channels.period_grain = period_declarations.period_grain
            and channels.period_start = period_declarations.period_start
),

control_counts as (
    select
        period_grain,
        period_start,
        control_type,
        case when control_type = 'examination' then channel else coalesce(audit_scope, 'unknown') end as control_group,
        sum(controls) as controls,
        sum(case when is_irregular then controls else 0 end) as irregular_controls
    from controls
    group by
        period_grain,
        period_start,
        control_type,
        case when control_type = 'examination' then channel else coalesce(audit_scope, 'unknown') end
    union all
    select
        period_grain,
        period_start,
        control_type as kpi_code,
        'all' as control_group,
        sum(controls) as controls,
        sum(case when is_irregular then controls else 0 end) as irregular_controls
    from controls
    group by period_grain, period_start, control_type
),

hit_rates_long as (
    select
        period_grain,
        period_start,
        case when control_type = 'examination' then 'examinations_count' else 'pcas_count' end as kpi_code,
        case when control_type = 'examination' then 'channel' else 'audit_scope' end as dimension_name,
        control_group as dimension_value,
        cast(controls as {{ type_double() }}) as kpi_value
    from control_counts
    where control_type in ('examination', 'pca')
    union all
    select
        period_grain,
        period_start,
        case when control_type = 'examination' then 'selectivity_hit_rate' else 'pca_hit_rate' end as kpi_code,
        case when control_type = 'examination' then 'channel' else 'audit_scope' end as dimension_name,
        control_group as dimension_value,
        {{ safe_divide('irregular_controls', 'controls') }} as kpi_value
    from control_counts
    where control_type in ('examination', 'pca')
),

-- controls of the repeat offenders only (the flags below need no other operator)
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

repeat_offenders_long as (
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
),

rulings_periodised as (
    {% for grain in ['month', 'quarter', 'year'] %}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'ruling_date') }} as date) as period_start,
            coalesce(ruling_type, 'unknown') as ruling_type
        from advance_rulings
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rulings as (
    select
        period_grain,
        period_start,
        ruling_type,
        count(*) as rulings
    from rulings_periodised
    group by period_grain, period_start, ruling_type
    union all
    select
        period_grain,
        period_start,
        'all' as ruling_type,
        count(*) as rulings
    from rulings_periodised
    group by period_grain, period_start
),

rulings_long as (
    select
        rulings.period_grain,
        rulings.period_start,
        'advance_rulings_issued' as kpi_code,
        'ruling_type' as dimension_name,
        rulings.ruling_type as dimension_value,
        cast(rulings.rulings as {{ type_double() }}) as kpi_value
    from rulings
    union all
    select
        rulings.period_grain,
        rulings.period_start,
        'advance_rulings_share_of_declarations' as kpi_code,
        'ruling_type' as dimension_name,
        rulings.ruling_type as dimension_value,
        {{ safe_divide('rulings.rulings', 'period_declarations.declarations') }} as kpi_value
    from rulings
    inner join period_declarations
        on rulings.period_grain = period_declarations.period_grain
            and rulings.period_start = period_declarations.period_start
),

risk_levels_long as (
    -- evolution of operators by risk level: the quarter-end history, for every period
    -- that ends on a quarter end
    select
        periods.period_grain,
        periods.period_start,
        'operators_by_risk_level' as kpi_code,
        'risk_level' as dimension_name,
        risk_level_history.risk_level as dimension_value,
        cast(count(*) as {{ type_double() }}) as kpi_value
    from periods
    inner join risk_level_history
        on periods.period_end = risk_level_history.period_end
    group by periods.period_grain, periods.period_start, risk_level_history.risk_level
),

final as (
    select * from aeo_long
    union all
    select * from channels_long
    union all
    select * from hit_rates_long
    union all
    select * from repeat_offenders_long
    union all
    select * from rulings_long
    union all
    select * from risk_levels_long
)

select * from final
