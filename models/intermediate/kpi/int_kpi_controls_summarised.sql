{#- M18, M19: the control results of every reporting period (month, quarter, year of the
    control_date) counted per control type, channel of the controlled declaration,
    audit_scope, offence_type and outcome, with their amounts in LCU and in USD (channel
    and rate as int_control_results_channelled sets them). Counted per month, then the
    months are added up to quarters and years. -#}
{%- set grains = ['month', 'quarter', 'year'] -%}

with

converted as (
    select * from {{ ref('int_control_results_channelled') }}
),

monthly as (
    select
        month_start,
        control_type,
        channel,
        audit_scope,
        offence_type,
        is_irregular,
        count(*) as controls,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu,
        sum(amount_collected_lcu) as amount_collected_lcu,
        sum(amount_reassessed_usd) as amount_reassessed_usd,
        sum(amount_collected_usd) as amount_collected_usd
    from converted
    group by month_start, control_type, channel, audit_scope, offence_type, is_irregular
),

periodised as (
    {% for grain in grains %}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'month_start') }} as date) as period_start,
            control_type,
            channel,
            audit_scope,
            offence_type,
            is_irregular,
            controls,
            amount_reassessed_lcu,
            amount_collected_lcu,
            amount_reassessed_usd,
            amount_collected_usd
        from monthly
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        period_grain,
        period_start,
        control_type,
        channel,
        audit_scope,
        offence_type,
        is_irregular,
        cast(sum(controls) as bigint) as controls,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu,
        sum(amount_collected_lcu) as amount_collected_lcu,
        sum(amount_reassessed_usd) as amount_reassessed_usd,
        sum(amount_collected_usd) as amount_collected_usd
    from periodised
    group by period_grain, period_start, control_type, channel, audit_scope, offence_type, is_irregular
)

select * from final
