{#- M4: detected irregularities per operator and GRI type over the window, the
    outcome behind the frequency and learned weights. 'global' = any customs
    irregularity or tax audit irregularity; a risk type uses the outcome the
    compliance_risk_types seed maps it to. is_observed = the operator was controlled
    in a way that could have detected it (needed by the learned technique). -#}

with

operators as (
    select tin from {{ ref('int_operator_transactions') }}
),

controls as (
    select * from {{ ref('int_controls_in_window') }}
),

tax_audits as (
    select tax_audits.*
    from {{ ref('stg_tax__tax_audits') }} as tax_audits
    cross join {{ ref('int_evaluation_window') }} as evaluation_window
    where tax_audits.audit_date between evaluation_window.window_start and evaluation_window.as_of_date
),

risk_types as (
    select * from {{ ref('compliance_risk_types') }}
),

customs_by_offence as (
    select
        tin,
        offence_type,
        count(*) as irregular_controls
    from controls
    where is_irregular
    group by tin, offence_type
),

customs_observed as (
    select distinct tin from controls
),

tax_by_operator as (
    select
        tin,
        count(*) as tax_audits,
        sum(case when has_irregularity then 1 else 0 end) as tax_audits_irregular,
        sum(case when has_transfer_pricing_adjustment then 1 else 0 end) as tax_audits_transfer_pricing
    from tax_audits
    group by tin
),

customs_any as (
    select
        tin,
        sum(irregular_controls) as irregular_controls
    from customs_by_offence
    group by tin
),

by_risk_type as (
    select
        operators.tin,
        risk_types.risk_type as gri_type,
        case
            when risk_types.outcome_source = 'customs_offence' then coalesce(customs_by_offence.irregular_controls, 0) > 0
            when risk_types.outcome_code = 'transfer_pricing' then coalesce(tax_by_operator.tax_audits_transfer_pricing, 0) > 0
            else coalesce(tax_by_operator.tax_audits_irregular, 0) > 0
        end as has_detected_irregularity,
        case
            when risk_types.outcome_source = 'customs_offence' then customs_observed.tin is not null
            else coalesce(tax_by_operator.tax_audits, 0) > 0
        end as is_observed
    from operators
    cross join risk_types
    left join customs_by_offence
        on operators.tin = customs_by_offence.tin
            and risk_types.outcome_source = 'customs_offence'
            and risk_types.outcome_code = customs_by_offence.offence_type
    left join customs_observed
        on operators.tin = customs_observed.tin
    left join tax_by_operator
        on operators.tin = tax_by_operator.tin
),

global_outcome as (
    select
        operators.tin,
        'global' as gri_type,
        coalesce(customs_any.irregular_controls, 0) > 0
        or coalesce(tax_by_operator.tax_audits_irregular, 0) > 0 as has_detected_irregularity,
        customs_observed.tin is not null or coalesce(tax_by_operator.tax_audits, 0) > 0 as is_observed
    from operators
    left join customs_any
        on operators.tin = customs_any.tin
    left join customs_observed
        on operators.tin = customs_observed.tin
    left join tax_by_operator
        on operators.tin = tax_by_operator.tin
),

final as (
    select * from global_outcome
    union all
    select * from by_risk_type
)

select * from final
