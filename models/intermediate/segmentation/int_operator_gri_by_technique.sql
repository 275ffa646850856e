{#- M5: GRI = sum of final_weight x flag, for every operator, GRI type and weighting
    technique (the selected technique feeds operator_gri; the others let the backtest
    compare techniques). Rounded to 6 decimals so cut-offs compare exactly; the weights are
    added in indicator order, so a GRI half-way between two 6-decimal values rounds the same
    way in every build (a parallel sum in any order could round it either way). -#}

with

operators as (
    select tin from {{ ref('int_operator_transactions') }}
),

weights as (
    select * from {{ ref('int_indicator_weights') }}
),

flags as (
    select
        tin,
        indicator_code,
        flag
    from {{ ref('int_operator_indicator_values') }}
),

techniques as (
    select distinct
        technique,
        gri_type
    from weights
),

contributions as (
    select
        flags.tin,
        weights.technique,
        weights.gri_type,
        {{ gri_weighted_sum('weights.final_weight', 'flags.flag', 'weights.indicator_code') }} as gri
    from flags
    inner join weights
        on flags.indicator_code = weights.indicator_code
    where flags.flag = 1
    group by flags.tin, weights.technique, weights.gri_type
),

final as (
    select
        operators.tin,
        techniques.technique,
        techniques.gri_type,
        {{ round_double('coalesce(contributions.gri, 0)', 6) }} as gri
    from operators
    cross join techniques
    left join contributions
        on operators.tin = contributions.tin
            and techniques.technique = contributions.technique
            and techniques.gri_type = contributions.gri_type
)

select * from final
