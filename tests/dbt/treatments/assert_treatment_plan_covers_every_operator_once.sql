-- M11: every operator of dim_operators sits in exactly one treatment cell, and the plan
-- holds no operator that dim_operators does not know. Returns the offending tins.
with

operators as (
    select tin from {{ ref('dim_operators') }}
),

treatment_plan as (
    select * from {{ ref('treatment_plan') }}
),

plan_rows as (
    select
        tin,
        count(*) as plan_rows,
        count(cell_code) as cells
    from treatment_plan
    group by tin
),

final as (
    select
        coalesce(operators.tin, plan_rows.tin) as tin,
        coalesce(plan_rows.plan_rows, 0) as plan_rows,
        coalesce(plan_rows.cells, 0) as cells,
        operators.tin is not null as is_in_dim_operators
    from operators
    full outer join plan_rows
        on operators.tin = plan_rows.tin
    where
        operators.tin is null
        or plan_rows.tin is null
        or plan_rows.plan_rows <> 1
        or plan_rows.cells <> 1
)

select * from final
