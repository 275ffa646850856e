-- M16: every importer of a linked tariff line is in the treatment plan once, with its cell's measures.
with

import_lines as (
    select * from {{ ref('int_risk_cip_import_lines') }}
),

treatment_plan as (
    select * from {{ ref('risk_cip_treatment_plan') }}
),

importers as (
    select distinct tin
    from import_lines
),

final as (
    select
        importers.tin,
        treatment_plan.measures_count
    from importers
    left join treatment_plan
        on importers.tin = treatment_plan.tin
)

select * from final
where measures_count is null or measures_count = 0
