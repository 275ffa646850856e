{#- M11 (note Table 6): who gets what. One row per operator with its treatment cell,
    the cell's approach, engagement and intervention type and its measures. -#}

with

assigned as (
    select * from {{ ref('int_treatment_cells_assigned') }}
),

measures as (
    select * from {{ ref('treatment_measures') }}
),

cell_measures as (
    select
        cell_code,
        count(*) as measures_count,
        {{ dbt.listagg('measure', "'; '", 'order by measure_no') }} as measures
    from measures
    group by cell_code
),

final as (
    select
        assigned.tin,
        assigned.cell_code,
        assigned.size_segment,
        assigned.risk_level,
        cast(assigned.gri as {{ type_double() }}) as gri,
        assigned.enforcement_approach,
        assigned.engagement_style,
        assigned.intervention_type,
        cast(coalesce(cell_measures.measures_count, 0) as integer) as measures_count,
        cell_measures.measures,
        cast(assigned.trade_value_usd as {{ type_double() }}) as trade_value_usd,
        cast(assigned.taxes_paid_usd as {{ type_double() }}) as taxes_paid_usd,
        cast(assigned.cell_sort_order as integer) as cell_sort_order
    from assigned
    left join cell_measures
        on assigned.cell_code = cell_measures.cell_code
)

select {{ stable_select() }} from final
