{#- M20 (note, end of the segmentation section): the operators compared for each
    treatment_code. The start date of a treatment is the earliest start recorded for it;
    the before window is the var treatment_effect_window_months months before it and the
    after window the same length from it.
    A treated kind is a (size segment, offence_type) pair found on a treated operator
    before the start. An operator enters the comparison when it received no treatment at
    all and, in the before window, has at least var treatment_effect_min_prior_irregularities
    detected irregularities of the treated kinds of its own size segment. The same
    condition is applied to the treated operators, so that selecting on past detections
    inflates the before rate of both groups alike. -#}
{%- set window_months = var('treatment_effect_window_months') | int -%}

with

treatments_applied as (
    select * from {{ ref('stg_customs__treatments_applied') }}
),

control_results as (
    select * from {{ ref('stg_customs__control_results') }}
    where is_irregular and tin is not null
),

operator_sizes as (
    select * from {{ ref('int_operator_size') }}
),

treatment_windows as (
    select
        treatment_code,
        min(treatment_start_date) as treatment_start_date,
        cast({{ dbt.dateadd('month', -1 * window_months, 'min(treatment_start_date)') }} as date) as before_start,
        cast({{ dbt.dateadd('month', window_months, 'min(treatment_start_date)') }} as date) as after_end
    from treatments_applied
    group by treatment_code
),

treated_operators as (
    select distinct
        treatment_code,
        tin
    from treatments_applied
),

prior_irregularities as (
    select
        treatment_windows.treatment_code,
        control_results.tin,
        operator_sizes.size_segment,
        control_results.offence_type,
        count(*) as irregularities
    from control_results
    inner join treatment_windows
        on control_results.control_date >= treatment_windows.before_start
            and control_results.control_date < treatment_windows.treatment_start_date
    inner join operator_sizes
        on control_results.tin = operator_sizes.tin
    group by
        treatment_windows.treatment_code,
        control_results.tin,
        operator_sizes.size_segment,
        control_results.offence_type
),

treated_kinds as (
    select distinct
        prior_irregularities.treatment_code,
        prior_irregularities.size_segment,
        prior_irregularities.offence_type
    from prior_irregularities
    inner join treated_operators
        on prior_irregularities.treatment_code = treated_operators.treatment_code
            and prior_irregularities.tin = treated_operators.tin
),

eligible_operators as (
    select
        prior_irregularities.treatment_code,
        prior_irregularities.tin,
        sum(prior_irregularities.irregularities) as prior_irregularities
    from prior_irregularities
    inner join treated_kinds
        on prior_irregularities.treatment_code = treated_kinds.treatment_code
            and prior_irregularities.size_segment = treated_kinds.size_segment
            and prior_irregularities.offence_type = treated_kinds.offence_type
    group by prior_irregularities.treatment_code, prior_irregularities.tin
    having sum(prior_irregularities.irregularities) >= {{ var('treatment_effect_min_prior_irregularities') }}
),

ever_treated as (
    select distinct tin from treatments_applied
),

grouped as (
    select
        eligible_operators.treatment_code,
        eligible_operators.tin,
        eligible_operators.prior_irregularities,
        case
            when treated_operators.tin is not null then 'treated'
            when ever_treated.tin is null then 'comparison'
        end as group_name
    from eligible_operators
    left join treated_operators
        on eligible_operators.treatment_code = treated_operators.treatment_code
            and eligible_operators.tin = treated_operators.tin
    left join ever_treated
        on eligible_operators.tin = ever_treated.tin
),

final as (
    select
        grouped.treatment_code,
        grouped.tin,
        grouped.group_name,
        grouped.prior_irregularities,
        treatment_windows.treatment_start_date,
        treatment_windows.before_start,
        treatment_windows.after_end
    from grouped
    inner join treatment_windows
        on grouped.treatment_code = treatment_windows.treatment_code
    where grouped.group_name is not null
)

select * from final
