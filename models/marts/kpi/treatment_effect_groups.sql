{#- M20: for each treatment_code, group (treated, comparison) and window (before,
    after): operators, examined lines and the share found irregular (pooled over lines),
    amount reassessed, and compliance = share of the operators controlled in the window
    with no irregularity found. -#}

with

operator_windows as (
    select * from {{ ref('int_treatment_effect_operator_windows') }}
),

final as (
    select
        treatment_code,
        group_name,
        window_name,
        min(window_start) as window_start,
        max(window_end) as window_end,
        cast(count(*) as bigint) as operators,
        cast(sum(case when examined_lines > 0 then 1 else 0 end) as bigint) as operators_examined,
        cast(sum(examined_lines) as bigint) as examined_lines,
        cast(sum(irregular_lines) as bigint) as irregular_lines,
        {{ safe_divide('sum(irregular_lines)', 'sum(examined_lines)') }} as irregularity_rate,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu,
        cast(sum(case when controls > 0 then 1 else 0 end) as bigint) as operators_controlled,
        cast(sum(case when controls > 0 and irregular_controls = 0 then 1 else 0 end) as bigint) as operators_compliant,
        {{ safe_divide(
            'sum(case when controls > 0 and irregular_controls = 0 then 1 else 0 end)',
            'sum(case when controls > 0 then 1 else 0 end)') }} as compliance_rate
    from operator_windows
    group by treatment_code, group_name, window_name
)

select {{ stable_select() }} from final
