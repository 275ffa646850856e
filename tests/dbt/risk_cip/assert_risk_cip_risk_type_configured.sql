-- M16: var risk_cip_risk_type must name exactly one compliance risk of seeds/config/compliance_risk_types.
with

selected_risk as (
    select * from {{ ref('int_risk_cip_selected_risk') }}
),

final as (
    select
        '{{ var("risk_cip_risk_type") }}' as risk_type,
        count(*) as matching_risks
    from selected_risk
)

select * from final
where matching_risks != 1
