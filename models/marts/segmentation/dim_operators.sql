{#- M1/M5/M6/M7: one row per operator active in the window: size, values, taxes,
    global GRI and risk level, the indicators that contribute most to it, and its
    control history (built in int_operators_profiled). The operator view BI tools start
    from. -#}

with

final as (
    select * from {{ ref('int_operators_profiled') }}
)

select {{ stable_select() }} from final
