{#- M16: declaration lines on which a control closed in the window found an offence of
    the selected risk (customs offences only: a tax-audit risk has none here). Which
    lines a control covers: macro control_covers_line. -#}

with

controls as (
    select * from {{ ref('int_controls_in_window') }}
    where is_irregular
),

selected_risk as (
    select * from {{ ref('int_risk_cip_selected_risk') }}
    where outcome_source = 'customs_offence'
),

declarations as (
    select * from {{ ref('int_declarations_in_window') }}
    where flow = 'I'
),

risk_controls as (
    select controls.*
    from controls
    inner join selected_risk
        on controls.offence_type = selected_risk.outcome_code
),

final as (
    select
        risk_controls.control_id,
        declarations.declaration_id,
        declarations.item_no,
        declarations.tin,
        declarations.hs_code,
        risk_controls.control_type,
        risk_controls.control_date
    from risk_controls
    inner join declarations
        on {{ control_covers_line('risk_controls', 'declarations') }}
)

select * from final
