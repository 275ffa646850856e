{#- M11: every operator of int_operators_profiled in exactly one cell of the treatment matrix,
    matched on its size segment and risk level. -#}

with

operators as (
    select * from {{ ref('int_operators_profiled') }}
),

treatment_matrix as (
    select * from {{ ref('treatment_matrix') }}
),

final as (
    select
        operators.tin,
        operators.size_segment,
        operators.risk_level,
        operators.gri,
        operators.trade_value_usd,
        operators.duty_paid_usd + operators.vat_paid_usd + operators.excise_paid_usd as taxes_paid_usd,
        treatment_matrix.cell_code,
        treatment_matrix.enforcement_approach,
        treatment_matrix.engagement_style,
        treatment_matrix.intervention_type,
        treatment_matrix.cell_sort_order
    from operators
    left join treatment_matrix
        on operators.size_segment = treatment_matrix.size_segment
            and operators.risk_level = treatment_matrix.risk_level
)

select * from final
