{#- M18, M19: the control results of every reporting period (month, quarter, year of the
    control_date) counted per control type, channel of the controlled declaration,
    audit_scope, offence_type and outcome, with their amounts in LCU and converted to USD
    at the month's rate of the national currency (var national_currency), each control at
    the rate of its own month. channel is the max channel over the lines of the controlled
    declaration ('none' for a PCA or when the declaration is not staged). Counted per
    month, then the months are added up to quarters and years. -#}
{%- set grains = ['month', 'quarter', 'year'] -%}

with

control_results as (
    select * from {{ ref('stg_customs__control_results') }}
),

exchange_rates as (
    select * from {{ ref('stg_reference__exchange_rates') }}
    where currency = '{{ var("national_currency") }}'
),

controlled_declarations as (
    select distinct declaration_id
    from control_results
    where declaration_id is not null
),

-- the channel is looked up for the controlled declarations only, not grouped over every
-- declaration line
declaration_channels as (
    select
        lines.declaration_id,
        max(lines.channel) as channel
    from {{ ref('stg_customs__declarations') }} as lines
    inner join controlled_declarations
        on lines.declaration_id = controlled_declarations.declaration_id
    group by lines.declaration_id
),

converted as (
    select
        cast({{ dbt.date_trunc('month', 'control_results.control_date') }} as date) as month_start,
        control_results.control_type,
        coalesce(declaration_channels.channel, 'none') as channel,
        control_results.audit_scope,
        control_results.offence_type,
        control_results.is_irregular,
        control_results.amount_reassessed_lcu,
        control_results.amount_collected_lcu,
        control_results.amount_reassessed_lcu * exchange_rates.usd_per_unit as amount_reassessed_usd,
        control_results.amount_collected_lcu * exchange_rates.usd_per_unit as amount_collected_usd
    from control_results
    left join declaration_channels
        on control_results.declaration_id = declaration_channels.declaration_id
    left join exchange_rates
        on cast({{ dbt.date_trunc('month', 'control_results.control_date') }} as date) = exchange_rates.month_start
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
