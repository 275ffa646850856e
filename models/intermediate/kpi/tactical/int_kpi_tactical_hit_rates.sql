{#- M18 (tactical): examinations per channel and PCAs per audit scope ('all' = every
    one), and their hit rates, per period, from the controls counted per period. -#}

with

controls as (
    select * from {{ ref('int_kpi_controls_summarised') }}
),

control_counts as (
    select
        period_grain,
        period_start,
        control_type,
        case when control_type = 'examination' then channel else coalesce(audit_scope, 'unknown') end as control_group,
        sum(controls) as controls,
        sum(case when is_irregular then controls else 0 end) as irregular_controls
    from controls
    group by
        period_grain,
        period_start,
        control_type,
        case when control_type = 'examination' then channel else coalesce(audit_scope, 'unknown') end
    union all
    select
        period_grain,
        period_start,
        control_type,
        'all' as control_group,
        sum(controls) as controls,
        sum(case when is_irregular then controls else 0 end) as irregular_controls
    from controls
    group by period_grain, period_start, control_type
),

final as (
    select
        period_grain,
        period_start,
        case when control_type = 'examination' then 'examinations_count' else 'pcas_count' end as kpi_code,
        case when control_type = 'examination' then 'channel' else 'audit_scope' end as dimension_name,
        control_group as dimension_value,
        cast(controls as {{ type_double() }}) as kpi_value
    from control_counts
    where control_type in ('examination', 'pca')
    union all
    select
        period_grain,
        period_start,
        case when control_type = 'examination' then 'selectivity_hit_rate' else 'pca_hit_rate' end as kpi_code,
        case when control_type = 'examination' then 'channel' else 'audit_scope' end as dimension_name,
        control_group as dimension_value,
        {{ safe_divide('irregular_controls', 'controls') }} as kpi_value
    from control_counts
    where control_type in ('examination', 'pca')
)

select * from final
