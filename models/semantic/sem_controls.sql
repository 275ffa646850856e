{#- M18, M19: one row per control result for the semantic layer (docs/semantic_layer.md):
    the channel of the controlled declaration and the amounts in LCU and in USD, as
    int_control_results_channelled sets them; audit_scope 'unknown' when not given. -#}

with

controls as (
    select * from {{ ref('int_control_results_channelled') }}
),

final as (
    select
        control_id,
        tin,
        declaration_id,
        control_date,
        control_type,
        channel,
        coalesce(audit_scope, 'unknown') as audit_scope,
        offence_type,
        is_irregular,
        amount_reassessed_lcu,
        amount_collected_lcu,
        amount_reassessed_usd,
        amount_collected_usd
    from controls
)

select * from final
