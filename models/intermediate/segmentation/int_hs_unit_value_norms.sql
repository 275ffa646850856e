{#- M2/M16: the unit-value norm of each tariff line and unit over the window: the
    median USD value per unit of quantity of its import lines. The lower bound is
    var unit_value_lower_bound_ratio x the median; lines below it are suspicious. -#}

with

import_lines as (
    select
        hs_code,
        value_unit,
        unit_value_usd
    from {{ ref('int_declarations_in_window') }}
    where flow = 'I' and unit_value_usd is not null
),

medians as (
    -- the median once per group: it is the costly (holistic) aggregate
    select
        hs_code,
        value_unit,
        count(*) as import_lines,
        {{ median('unit_value_usd') }} as median_unit_value_usd
    from import_lines
    group by hs_code, value_unit
),

final as (
    select
        hs_code,
        value_unit,
        import_lines,
        median_unit_value_usd,
        {{ var('unit_value_lower_bound_ratio') }} * median_unit_value_usd as lower_bound_unit_value_usd,
        import_lines >= {{ var('unit_value_min_lines') }} as has_norm
    from medians
)

select * from final
