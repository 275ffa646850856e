{#- M18 (repeat offenders, M21 recurrence): for every operator that became a repeat
    offender, the start of the quarter in which it did, read from the quarterly
    recurrence indicator of int_operator_recurrence_quarterly (one definition of recurrence). -#}

with

repeat_offenders as (
    select * from {{ ref('int_operator_recurrence_quarterly') }}
    where is_recurrent
),

final as (
    select
        tin,
        min(period_start) as repeat_offender_since
    from repeat_offenders
    group by tin
)

select * from final
