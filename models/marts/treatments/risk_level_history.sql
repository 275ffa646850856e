{#- M21 (evolution of operators by risk level): the risk level of every operator at
    the end of every quarter with declarations, from the simplified point-in-time GRI
    of int_operator_gri_quarterly and the configured cut-offs (M6). -#}

with

quarterly_gri as (
    select * from {{ ref('int_operator_gri_quarterly') }}
),

final as (
    select
        tin,
        period_end,
        cast(gri as {{ type_double() }}) as gri,
        {{ risk_level('gri') }} as risk_level,
        cast(flags_raised as integer) as flags_raised,
        cast(lines_in_window as integer) as lines_in_window
    from quarterly_gri
)

select {{ stable_select() }} from final
