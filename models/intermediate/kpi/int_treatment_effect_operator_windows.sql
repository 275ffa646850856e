{#- M20: per treatment_code, compared operator and window (before, after): its examined
    declaration lines (dated by the declaration date) and those where an irregularity was
    found, and its controls of any type (dated by the control date) with the irregular
    ones and the amount reassessed. An operator without activity in a window keeps a row
    of zeros. The examined lines are those of int_examinations_dated (one rule for which
    lines an examination covers). -#}

with

groups as (
    select * from {{ ref('int_treatment_effect_groups') }}
),

control_results as (
    select * from {{ ref('stg_customs__control_results') }}
),

-- every examined line of the history (which lines an examination covers: macro
-- examined_line_ctes, in int_examinations_dated)
examinations_dated as (
    select * from {{ ref('int_examinations_dated') }}
),

compared_operators as (
    select distinct tin from groups
),

examined_lines as (
    select
        examinations_dated.tin,
        examinations_dated.declaration_id,
        examinations_dated.item_no,
        examinations_dated.declaration_date,
        case when examinations_dated.is_irregular then 1 else 0 end as is_irregular
    from examinations_dated
    inner join compared_operators
        on examinations_dated.tin = compared_operators.tin
),

windows as (
    select
        groups.treatment_code,
        groups.tin,
        groups.group_name,
        'before' as window_name,
        groups.before_start as window_start,
        groups.treatment_start_date as window_end
    from groups
    union all
    select
        groups.treatment_code,
        groups.tin,
        groups.group_name,
        'after' as window_name,
        groups.treatment_start_date as window_start,
        groups.after_end as window_end
    from groups
),

line_counts as (
    select
        windows.treatment_code,
        windows.tin,
        windows.window_name,
        count(*) as examined_lines,
        sum(examined_lines.is_irregular) as irregular_lines
    from windows
    inner join examined_lines
        on windows.tin = examined_lines.tin
            and windows.window_start <= examined_lines.declaration_date
            and windows.window_end > examined_lines.declaration_date
    group by windows.treatment_code, windows.tin, windows.window_name
),

control_counts as (
    select
        windows.treatment_code,
        windows.tin,
        windows.window_name,
        count(*) as controls,
        sum(case when control_results.is_irregular then 1 else 0 end) as irregular_controls,
        sum(control_results.amount_reassessed_lcu) as amount_reassessed_lcu
    from windows
    inner join control_results
        on windows.tin = control_results.tin
            and windows.window_start <= control_results.control_date
            and windows.window_end > control_results.control_date
    group by windows.treatment_code, windows.tin, windows.window_name
),

final as (
    select
        windows.treatment_code,
        windows.tin,
        windows.group_name,
        windows.window_name,
        windows.window_start,
        windows.window_end,
        coalesce(line_counts.examined_lines, 0) as examined_lines,
        coalesce(line_counts.irregular_lines, 0) as irregular_lines,
        coalesce(control_counts.controls, 0) as controls,
        coalesce(control_counts.irregular_controls, 0) as irregular_controls,
        cast(coalesce(control_counts.amount_reassessed_lcu, 0) as {{ type_double() }}) as amount_reassessed_lcu
    from windows
    left join line_counts
        on windows.treatment_code = line_counts.treatment_code
            and windows.tin = line_counts.tin
            and windows.window_name = line_counts.window_name
    left join control_counts
        on windows.treatment_code = control_counts.treatment_code
            and windows.tin = control_counts.tin
            and windows.window_name = control_counts.window_name
)

select * from final
