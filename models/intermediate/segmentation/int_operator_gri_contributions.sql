{#- M5: what each flagged indicator contributes to an operator's global GRI under the
    selected weighting technique (weight x flag, flag = 1), ranked from the largest.
    One place for "the indicators that put the operator there", read by dim_operators
    and the PCA plan. -#}

with

flags as (
    select
        tin,
        indicator_code
    from {{ ref('int_operator_indicator_values') }}
    where flag = 1
),

selected_weights as (
    select
        indicator_code,
        final_weight
    from {{ ref('int_indicator_weights') }}
    where is_selected_technique and gri_type = 'global' and final_weight > 0
),

final as (
    select
        flags.tin,
        flags.indicator_code,
        selected_weights.final_weight,
        row_number() over (
            partition by flags.tin order by selected_weights.final_weight desc, flags.indicator_code asc
        ) as contribution_rank
    from flags
    inner join selected_weights
        on flags.indicator_code = selected_weights.indicator_code
)

select * from final
