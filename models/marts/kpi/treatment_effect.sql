{#- M20: difference in differences of the irregularity rate for each treatment_code.
    The rate of a group in a window is pooled over its examined lines (irregular lines /
    examined lines), the definition of the generator's truth. Its change after - before
    is written as the mean of one contribution per operator (its linearised share of the
    pooled change), so that
        did = mean(contribution | treated) - mean(contribution | comparison)
        standard_error = sqrt(var(contribution | treated) / n_treated
                              + var(contribution | comparison) / n_comparison)
    with operators (not lines) as the independent units; ci = did -/+ z x standard_error
    (var treatment_effect_z). docs/kpis.md derives the contribution. -#}

with

operator_windows as (
    select * from {{ ref('int_treatment_effect_operator_windows') }}
),

groups as (
    select * from {{ ref('int_treatment_effect_groups') }}
),

operators as (
    select
        treatment_code,
        tin,
        group_name,
        sum(case when window_name = 'before' then examined_lines else 0 end) as lines_before,
        sum(case when window_name = 'before' then irregular_lines else 0 end) as irregular_before,
        sum(case when window_name = 'after' then examined_lines else 0 end) as lines_after,
        sum(case when window_name = 'after' then irregular_lines else 0 end) as irregular_after
    from operator_windows
    group by treatment_code, tin, group_name
),

examined_operators as (
    select * from operators
    where lines_before + lines_after > 0
),

group_totals as (
    select
        treatment_code,
        group_name,
        count(*) as operators_in_estimate,
        sum(lines_before) as lines_before,
        sum(lines_after) as lines_after,
        {{ safe_divide('sum(irregular_before)', 'sum(lines_before)') }} as rate_before,
        {{ safe_divide('sum(irregular_after)', 'sum(lines_after)') }} as rate_after
    from examined_operators
    group by treatment_code, group_name
),

contributions as (
    select
        examined_operators.treatment_code,
        examined_operators.group_name,
        examined_operators.tin,
        group_totals.operators_in_estimate * (
            (examined_operators.irregular_after - group_totals.rate_after * examined_operators.lines_after)
            / nullif(group_totals.lines_after, 0)
            - (examined_operators.irregular_before - group_totals.rate_before * examined_operators.lines_before)
            / nullif(group_totals.lines_before, 0)
        ) + (group_totals.rate_after - group_totals.rate_before) as contribution
    from examined_operators
    inner join group_totals
        on examined_operators.treatment_code = group_totals.treatment_code
            and examined_operators.group_name = group_totals.group_name
),

group_changes as (
    select
        treatment_code,
        group_name,
        count(*) as operators_in_estimate,
        avg(contribution) as rate_change,
        var_samp(contribution) / count(*) as rate_change_variance
    from contributions
    group by treatment_code, group_name
),

group_sizes as (
    select
        treatment_code,
        min(treatment_start_date) as treatment_start_date,
        min(before_start) as before_start,
        max(after_end) as after_end,
        cast(sum(case when group_name = 'treated' then 1 else 0 end) as bigint) as treated_operators,
        cast(sum(case when group_name = 'comparison' then 1 else 0 end) as bigint) as comparison_operators
    from groups
    group by treatment_code
),

estimates as (
    select
        group_sizes.treatment_code,
        group_sizes.treatment_start_date,
        group_sizes.before_start,
        group_sizes.after_end,
        group_sizes.treated_operators,
        group_sizes.comparison_operators,
        coalesce(treated_changes.operators_in_estimate, 0) as treated_operators_examined,
        coalesce(comparison_changes.operators_in_estimate, 0) as comparison_operators_examined,
        treated_changes.rate_change as treated_rate_change,
        comparison_changes.rate_change as comparison_rate_change,
        treated_changes.rate_change - comparison_changes.rate_change as did_irregularity_rate,
        sqrt(treated_changes.rate_change_variance + comparison_changes.rate_change_variance) as did_standard_error
    from group_sizes
    left join group_changes as treated_changes
        on group_sizes.treatment_code = treated_changes.treatment_code
            and treated_changes.group_name = 'treated'
    left join group_changes as comparison_changes
        on group_sizes.treatment_code = comparison_changes.treatment_code
            and comparison_changes.group_name = 'comparison'
),

final as (
    select
        treatment_code,
        treatment_start_date,
        cast({{ var('treatment_effect_window_months') }} as integer) as window_months,
        before_start,
        after_end,
        treated_operators,
        comparison_operators,
        treated_operators_examined,
        comparison_operators_examined,
        treated_rate_change,
        comparison_rate_change,
        did_irregularity_rate,
        did_standard_error,
        did_irregularity_rate - {{ var('treatment_effect_z') }} * did_standard_error as did_ci_lower,
        did_irregularity_rate + {{ var('treatment_effect_z') }} * did_standard_error as did_ci_upper,
        coalesce(
            did_irregularity_rate + {{ var('treatment_effect_z') }} * did_standard_error < 0
            or did_irregularity_rate - {{ var('treatment_effect_z') }} * did_standard_error > 0,
            false
        ) as is_significant
    from estimates
)

select {{ stable_select() }} from final
