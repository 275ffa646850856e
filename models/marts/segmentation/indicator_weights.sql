{#- M4 (note Step 4, Table 3): the weight of every indicator under the four
    techniques side by side, per GRI type; final_weight sums to 1 per technique and
    GRI type over the significant indicators. -#}

with

weights as (
    select * from {{ ref('int_indicator_weights') }}
),

final as (
    select
        technique,
        gri_type,
        indicator_code,
        cast(operators_in_subsample as integer) as operators_in_subsample,
        cast(ones_count as integer) as ones_count,
        cast(score as {{ type_double() }}) as score,
        cast(share as {{ type_double() }}) as share,
        is_significant,
        cast(final_weight as {{ type_double() }}) as final_weight,
        is_selected_technique
    from weights
)

select {{ stable_select() }} from final
