{#- M18 (repeat offenders, M21 recurrence): for every operator with customs
    irregularities in at least var repeat_offender_min_quarters distinct calendar
    quarters, the date it became a repeat offender: the first irregularity of its
    qualifying quarter. Computed from the control results (examinations and PCAs). -#}

with

control_results as (
    select * from {{ ref('stg_customs__control_results') }}
    where is_irregular
),

offence_quarters as (
    select
        tin,
        cast({{ dbt.date_trunc('quarter', 'control_date') }} as date) as quarter_start,
        min(control_date) as first_offence_date
    from control_results
    where tin is not null
    group by tin, cast({{ dbt.date_trunc('quarter', 'control_date') }} as date)
),

ranked as (
    select
        tin,
        quarter_start,
        first_offence_date,
        row_number() over (partition by tin order by quarter_start) as offence_quarter_number
    from offence_quarters
),

final as (
    select
        tin,
        first_offence_date as repeat_offender_since
    from ranked
    where offence_quarter_number = {{ var('repeat_offender_min_quarters') }}
)

select * from final
