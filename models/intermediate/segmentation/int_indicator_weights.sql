{#- M4 (note Step 4, Table 3): the weight of every indicator of every GRI type under
    the four techniques, side by side:
      equal      score 1 for each indicator;
      expert     the catalogue's expert_weight;
      frequency  ones_i = operators with a detected irregularity (for the GRI type)
                 flagged by indicator i; share = ones_i / sum of ones (Table 3);
      learned    log odds ratio of detection between flagged and unflagged operators
                 among those controlled, floored at 0 (0.5 added to each cell;
                 0 when fewer than var learned_min_flagged controlled operators are flagged).
    share = score / sum of scores; an indicator is significant when its share
    exceeds var weight_tolerance; final_weight renormalises the significant shares
    to sum to 1 (0 for the others). -#}

with

gri_types as (
    select * from {{ ref('int_gri_types') }}
),

flags as (
    select
        tin,
        indicator_code,
        flag
    from {{ ref('int_operator_indicator_values') }}
),

outcomes as (
    select * from {{ ref('int_operator_outcomes') }}
),

flag_outcomes as (
    select
        gri_types.gri_type,
        gri_types.indicator_code,
        flags.flag,
        outcomes.has_detected_irregularity,
        outcomes.is_observed
    from flags
    inner join gri_types
        on flags.indicator_code = gri_types.indicator_code
    inner join outcomes
        on flags.tin = outcomes.tin
            and gri_types.gri_type = outcomes.gri_type
),

contingency as (
    select
        gri_type,
        indicator_code,
        sum(case when has_detected_irregularity then 1 else 0 end) as operators_in_subsample,
        sum(case when has_detected_irregularity then flag else 0 end) as ones_count,
        sum(case when is_observed and flag = 1 and has_detected_irregularity then 1 else 0 end) as flagged_detected,
        sum(case when is_observed and flag = 1 and not has_detected_irregularity then 1 else 0 end) as flagged_not_detected,
        sum(case when is_observed and flag = 0 and has_detected_irregularity then 1 else 0 end) as unflagged_detected,
        sum(case when is_observed and flag = 0 and not has_detected_irregularity then 1 else 0 end) as unflagged_not_detected
    from flag_outcomes
    group by gri_type, indicator_code
),

scores as (
    select
        'equal' as technique,
        gri_types.gri_type,
        gri_types.indicator_code,
        contingency.operators_in_subsample,
        contingency.ones_count,
        cast(1 as {{ type_double() }}) as score
    from gri_types
    left join contingency
        on gri_types.gri_type = contingency.gri_type
            and gri_types.indicator_code = contingency.indicator_code
    union all
    select
        'expert' as technique,
        gri_types.gri_type,
        gri_types.indicator_code,
        contingency.operators_in_subsample,
        contingency.ones_count,
        cast(gri_types.expert_weight as {{ type_double() }}) as score
    from gri_types
    left join contingency
        on gri_types.gri_type = contingency.gri_type
            and gri_types.indicator_code = contingency.indicator_code
    union all
    select
        'frequency' as technique,
        gri_types.gri_type,
        gri_types.indicator_code,
        contingency.operators_in_subsample,
        contingency.ones_count,
        cast(coalesce(contingency.ones_count, 0) as {{ type_double() }}) as score
    from gri_types
    left join contingency
        on gri_types.gri_type = contingency.gri_type
            and gri_types.indicator_code = contingency.indicator_code
    union all
    select
        'learned' as technique,
        gri_types.gri_type,
        gri_types.indicator_code,
        contingency.operators_in_subsample,
        contingency.ones_count,
        case when coalesce(contingency.flagged_detected, 0) + coalesce(contingency.flagged_not_detected, 0)
                >= {{ var('learned_min_flagged') }}
                then greatest(
                        ln(
                            (coalesce(contingency.flagged_detected, 0) + 0.5)
                            * (coalesce(contingency.unflagged_not_detected, 0) + 0.5)
                            / (
                                (coalesce(contingency.flagged_not_detected, 0) + 0.5)
                                * (coalesce(contingency.unflagged_detected, 0) + 0.5)
                            )
                        ),
                        0
                    )
            else 0
        end
    from gri_types
    left join contingency
        on gri_types.gri_type = contingency.gri_type
            and gri_types.indicator_code = contingency.indicator_code
),

shares as (
    select
        scores.*,
        {{ safe_divide('score', 'sum(score) over (partition by technique, gri_type)') }} as share
    from scores
),

significant as (
    select
        shares.*,
        coalesce(shares.share > {{ var('weight_tolerance') }}, false) as is_significant
    from shares
),

final as (
    select
        technique,
        gri_type,
        indicator_code,
        operators_in_subsample,
        ones_count,
        score,
        share,
        is_significant,
        case
            when is_significant
                then share / sum(case when is_significant then share end) over (partition by technique, gri_type)
            else 0
        end as final_weight,
        technique = '{{ var("weighting_technique") }}' as is_selected_technique
    from significant
)

select * from final
