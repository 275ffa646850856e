{#- M4 (note Step 4, Table 3): the weight of every indicator of every GRI type under
    the four techniques, side by side:
      equal      score 1 for each indicator;
      expert     the catalogue's expert_weight;
      frequency  ones_i = operators with a detected irregularity (for the GRI type)
                 flagged by indicator i; share = ones_i / sum of ones (Table 3);
      learned    log odds ratio of detection between flagged and unflagged operators
                 among those controlled, floored at 0 (0.5 added to each cell, in doubles;
                 0 when fewer than var learned_min_flagged controlled operators are flagged).
    share = score / sum of scores; an indicator is significant when its share
    exceeds var weight_tolerance; final_weight renormalises the significant shares
    to sum to 1 (0 for the others). -#}

{#- the window sums add the doubles in indicator order, so every build gets the same weights -#}
{%- set in_indicator_order = 'order by indicator_code rows between unbounded preceding and unbounded following' %}

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

indicator_counts as (
    -- every indicator of every GRI type with its counts (zero when nobody is flagged)
    select
        gri_types.gri_type,
        gri_types.indicator_code,
        gri_types.expert_weight,
        contingency.operators_in_subsample,
        contingency.ones_count,
        coalesce(contingency.flagged_detected, 0) as flagged_detected,
        coalesce(contingency.flagged_not_detected, 0) as flagged_not_detected,
        coalesce(contingency.unflagged_detected, 0) as unflagged_detected,
        coalesce(contingency.unflagged_not_detected, 0) as unflagged_not_detected
    from gri_types
    left join contingency
        on gri_types.gri_type = contingency.gri_type
            and gri_types.indicator_code = contingency.indicator_code
),

{#- 0.5 as a double, so every engine computes the odds ratio in doubles: with a decimal 0.5,
    Spark divided decimals to 6 places (decimal(38,6)), up to 3e-6 off in the weights -#}
{%- set half = 'cast(0.5 as ' ~ type_double() ~ ')' %}
{%- set technique_scores = {
    'equal': '1',
    'expert': 'expert_weight',
    'frequency': 'coalesce(ones_count, 0)',
    'learned': 'case when flagged_detected + flagged_not_detected >= ' ~ var('learned_min_flagged')
        ~ ' then greatest(ln((flagged_detected + ' ~ half ~ ') * (unflagged_not_detected + ' ~ half ~ ')'
        ~ ' / ((flagged_not_detected + ' ~ half ~ ') * (unflagged_detected + ' ~ half ~ '))), 0) else 0 end',
} %}

scores as (
    {%- for technique, score in technique_scores.items() %}
        select
            '{{ technique }}' as technique,
            gri_type,
            indicator_code,
            operators_in_subsample,
            ones_count,
            cast({{ score }} as {{ type_double() }}) as score
        from indicator_counts
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

shares as (
    select
        scores.*,
        {{ safe_divide('score', 'sum(score) over (partition by technique, gri_type ' ~ in_indicator_order ~ ')') }} as share
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
                then share / sum(case when is_significant then share end) over (
                        partition by technique, gri_type {{ in_indicator_order }}
                    )
            else 0
        end as final_weight,
        technique = '{{ var("weighting_technique") }}' as is_selected_technique
    from significant
)

select * from final
