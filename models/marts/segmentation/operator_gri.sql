{#- M5/M6 (note Steps 5-6): the GRI of every operator, global and per compliance risk
    type, under the selected weighting technique, with its risk level (built in
    int_operator_gri_selected). -#}

with

final as (
    select * from {{ ref('int_operator_gri_selected') }}
)

select {{ stable_select() }} from final
