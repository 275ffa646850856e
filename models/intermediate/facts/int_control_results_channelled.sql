{#- M18, M19: one row per control result with the channel of the controlled declaration
    (the max channel over its lines; 'none' for a PCA or a declaration not staged) and
    its amounts in LCU and in USD at the rate of the control's month (var
    national_currency). One place for both: int_kpi_controls_summarised counts it per
    period, sem_controls serves it to the semantic layer. -#}

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

final as (
    select
        control_results.control_id,
        control_results.tin,
        control_results.declaration_id,
        control_results.control_date,
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
)

select * from final
