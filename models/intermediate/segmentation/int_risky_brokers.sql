{#- M2: high-risk (noncompliant) customs brokers, derived from the hit rate of
    examinations of the lines they lodged in the window (no reference list exists). -#}

with

derived as (
    {{ derived_risk_by('declarant_id') | indent(4) }}
),

final as (
    select
        declarant_id,
        examined_lines,
        irregular_lines,
        hit_rate,
        overall_hit_rate,
        is_derived_risky,
        is_derived_risky as is_risky
    from derived
)

select * from final
