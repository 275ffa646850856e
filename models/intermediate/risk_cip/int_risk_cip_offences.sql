{#- M16: declaration lines on which a control closed in the window found an offence of
    the selected risk (customs offences only: a tax-audit risk has none here). An
    examination or PCA without item_no covers every line of its declaration. -#}

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
        on risk_controls.declaration_id = declarations.declaration_id
            and (risk_controls.item_no is null or risk_controls.item_no = declarations.item_no)
)

select * from final
