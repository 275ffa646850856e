-- M5/M22 audit trail: how one operator's global GRI is made. Compile it with
-- `dbt compile --select trace_operator_gri --vars '{trace_tin: T123456789}'` and run the
-- SQL in target/compiled/... against the warehouse (or use `cip explain TIN`).
-- Each row: an active indicator, its raw value and flag, the selected technique's weight
-- and the contribution weight x flag; the contributions sum to marts.operator_gri.gri.
with

flags as (
    select * from {{ ref('operator_indicator_flags') }}
    where tin = '{{ var("trace_tin", "") }}'
),

weights as (
    select * from {{ ref('indicator_weights') }}
    where is_selected_technique and gri_type = 'global'
),

gri as (
    select * from {{ ref('operator_gri') }}
    where gri_type = 'global'
),

final as (
    select
        flags.tin,
        flags.indicator_code,
        flags.category,
        flags.raw_value,
        flags.flag,
        weights.technique,
        weights.ones_count,
        weights.share,
        weights.is_significant,
        weights.final_weight,
        weights.final_weight * flags.flag as contribution,
        sum(weights.final_weight * flags.flag) over (partition by flags.tin) as gri_recomputed,
        gri.gri as gri_in_mart
    from flags
    inner join weights
        on flags.indicator_code = weights.indicator_code
    inner join gri
        on flags.tin = gri.tin
)

select * from final
order by contribution desc, indicator_code asc
