{#- M16: the compliance risk the risk-specific CIP is built for (var risk_cip_risk_type),
    with the offence type or tax outcome that evidences it. -#}

with

risk_types as (
    select * from {{ ref('compliance_risk_types') }}
),

final as (
    select
        risk_type,
        risk_name,
        outcome_source,
        outcome_code
    from risk_types
    where risk_type = '{{ var("risk_cip_risk_type") }}'
)

select * from final
