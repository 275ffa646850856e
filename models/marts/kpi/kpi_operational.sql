{#- M19 (note Box 2, operational table): per period grain, period, compliance risk
    (offence_type) and control type (examination, pca, all): cases detected, amount
    reassessed and amount collected in LCU and USD, each beside its previous-period value
    and variation rate. Every combination is present (zero when nothing was found), so the
    previous period always exists except for the first one. The controls are read already
    counted per period (int_kpi_controls_summarised). -#}
{%- set measures = [
    'cases_detected',
    'amount_reassessed_lcu',
    'amount_collected_lcu',
    'amount_reassessed_usd',
    'amount_collected_usd',
] -%}

with

controls as (
    select * from {{ ref('int_kpi_controls_summarised') }}
    where is_irregular
),

periods as (
    select * from {{ ref('int_kpi_periods') }}
),

compliance_risks as (
    select * from {{ ref('operational_compliance_risks') }}
),

control_types as (
    select 'examination' as control_type
    union all
    select 'pca' as control_type
    union all
    select 'all' as control_type
),

cases as (
    select
        period_grain,
        period_start,
        offence_type,
        control_type,
        sum(controls) as cases_detected,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu,
        sum(amount_collected_lcu) as amount_collected_lcu,
        sum(amount_reassessed_usd) as amount_reassessed_usd,
        sum(amount_collected_usd) as amount_collected_usd
    from controls
    group by period_grain, period_start, offence_type, control_type
    union all
    select
        period_grain,
        period_start,
        offence_type,
        'all' as control_type,
        sum(controls) as cases_detected,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu,
        sum(amount_collected_lcu) as amount_collected_lcu,
        sum(amount_reassessed_usd) as amount_reassessed_usd,
        sum(amount_collected_usd) as amount_collected_usd
    from controls
    group by period_grain, period_start, offence_type
),

grid as (
    select
        periods.period_grain,
        periods.period_start,
        periods.period_end,
        periods.previous_period_start,
        periods.is_complete_period,
        compliance_risks.offence_type,
        compliance_risks.compliance_risk,
        compliance_risks.risk_sort_order,
        control_types.control_type
    from periods
    cross join compliance_risks
    cross join control_types
),

filled as (
    select
        grid.period_grain,
        grid.period_start,
        grid.period_end,
        grid.previous_period_start,
        grid.is_complete_period,
        grid.offence_type,
        grid.compliance_risk,
        grid.risk_sort_order,
        grid.control_type,
        coalesce(cases.cases_detected, 0) as cases_detected,
        coalesce(cases.amount_reassessed_lcu, 0) as amount_reassessed_lcu,
        coalesce(cases.amount_collected_lcu, 0) as amount_collected_lcu,
        coalesce(cases.amount_reassessed_usd, 0) as amount_reassessed_usd,
        coalesce(cases.amount_collected_usd, 0) as amount_collected_usd
    from grid
    left join cases
        on grid.period_grain = cases.period_grain
            and grid.period_start = cases.period_start
            and grid.offence_type = cases.offence_type
            and grid.control_type = cases.control_type
),

final as (
    select
        filled.period_grain,
        filled.period_start,
        filled.period_end,
        filled.is_complete_period,
        filled.offence_type,
        filled.compliance_risk,
        filled.risk_sort_order,
        filled.control_type,
    {% for measure in measures %}
        {%- set measure_type = 'bigint' if measure == 'cases_detected' else type_double() %}
        cast(filled.{{ measure }} as {{ measure_type }}) as {{ measure }},
        cast(previous_filled.{{ measure }} as {{ measure_type }}) as previous_{{ measure }},
        {{ safe_divide('filled.' ~ measure ~ ' - previous_filled.' ~ measure, 'previous_filled.' ~ measure) }}
            as {{ measure }}_variation_rate{{ ',' if not loop.last }}
    {% endfor %}
    from filled
    left join filled as previous_filled
        on filled.period_grain = previous_filled.period_grain
            and filled.previous_period_start = previous_filled.period_start
            and filled.offence_type = previous_filled.offence_type
            and filled.control_type = previous_filled.control_type
)

select {{ stable_select() }} from final
