{{ config(materialized='view') }}
{#- M18, M19: every control result once per reporting grain, dated by control_date, with
    the selectivity channel of the controlled declaration ('none' for a PCA or when the
    declaration is not staged) and the amounts converted to USD at the month's rate of the
    national currency (var national_currency). -#}

with

control_results as (
    select * from {{ ref('stg_customs__control_results') }}
),

declarations as (
    select * from {{ ref('stg_customs__declarations') }}
),

exchange_rates as (
    select * from {{ ref('stg_reference__exchange_rates') }}
    where currency = '{{ var("national_currency") }}'
),

declaration_channels as (
    select
        declaration_id,
        max(channel) as channel
    from declarations
    group by declaration_id
),

converted as (
    select
        control_results.control_id,
        control_results.tin,
        control_results.control_type,
        control_results.audit_scope,
        control_results.is_irregular,
        control_results.offence_type,
        control_results.control_date,
        coalesce(declaration_channels.channel, 'none') as channel,
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

final as (
    {% for grain in ['month', 'quarter', 'year'] %}
        select
            '{{ grain }}' as period_grain,
            cast({{ dbt.date_trunc(grain, 'control_date') }} as date) as period_start,
            *
        from converted
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
