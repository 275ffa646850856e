{#- M11 (note Table 6): operators, trade value and taxes paid per cell of the treatment
    matrix; all nine cells are listed, empty ones with zeros. -#}

with

treatment_matrix as (
    select * from {{ ref('treatment_matrix') }}
),

treatment_plan as (
    select * from {{ ref('treatment_plan') }}
),

by_cell as (
    select
        cell_code,
        count(*) as operators,
        sum(trade_value_usd) as trade_value_usd,
        sum(taxes_paid_usd) as taxes_paid_usd,
        avg(gri) as mean_gri
    from treatment_plan
    group by cell_code
),

totals as (
    select
        count(*) as operators,
        sum(trade_value_usd) as trade_value_usd
    from treatment_plan
),

final as (
    select
        treatment_matrix.cell_code,
        treatment_matrix.size_segment,
        treatment_matrix.risk_level,
        treatment_matrix.enforcement_approach,
        treatment_matrix.engagement_style,
        treatment_matrix.intervention_type,
        cast(coalesce(by_cell.operators, 0) as integer) as operators,
        cast({{ safe_divide('coalesce(by_cell.operators, 0)', 'totals.operators') }} as {{ type_double() }})
            as operator_share,
        cast(coalesce(by_cell.trade_value_usd, 0) as {{ type_double() }}) as trade_value_usd,
        cast({{ safe_divide('coalesce(by_cell.trade_value_usd, 0)', 'totals.trade_value_usd') }} as {{ type_double() }})
            as trade_value_share,
        cast(coalesce(by_cell.taxes_paid_usd, 0) as {{ type_double() }}) as taxes_paid_usd,
        cast(by_cell.mean_gri as {{ type_double() }}) as mean_gri,
        cast(treatment_matrix.cell_sort_order as integer) as cell_sort_order
    from treatment_matrix
    cross join totals
    left join by_cell
        on treatment_matrix.cell_code = by_cell.cell_code
)

select {{ stable_select() }} from final
