{#- M21 (repeat offenders): per operator and quarter, offences detected, cumulative
    offences, quarters with an offence so far, the recurrence indicator and is_reformed
    (rules in int_operator_recurrence_quarterly). -#}

with

final as (
    select * from {{ ref('int_operator_recurrence_quarterly') }}
)

select {{ stable_select() }} from final
