{#- M4/M5: the GRI of every operator per GRI type under every weighting technique
    (operator_gri holds the selected technique only); the backtest ranks operators by
    each technique's global GRI to compare them. -#}

with

gri_by_technique as (
    select * from {{ ref('int_operator_gri_by_technique') }}
),

final as (
    select
        tin,
        technique,
        gri_type,
        cast(gri as {{ type_double() }}) as gri
    from gri_by_technique
)

select {{ stable_select() }} from final
