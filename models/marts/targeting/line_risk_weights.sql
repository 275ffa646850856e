{#- M4 learned at the line (M10): the weights of the two learned declaration scorers,
    for auditors: per feature its explanation group and, for the logistic score, the
    coefficient and curvature on the standardised feature z = (feature - centre) / scale
    with that centre and scale (log-odds = intercept + sum of coefficient x z + curvature
    x (z^2 - 1), as declaration_risk applies it) and the odds ratio of one standard
    deviation (linear part); for the
    boosted model the feature's share of the total split gain. -#}

with

artifacts as (
    select * from {{ ref('int_line_risk_models_trained') }}
    where part in ('intercept', 'feature')
),

gain_totals as (
    select sum(coefficient) as total_gain
    from artifacts
    where scorer = 'gbm'
),

final as (
    select
        artifacts.scorer,
        artifacts.name as feature,
        cast(artifacts.position as integer) as position,
        artifacts.part = 'intercept' as is_intercept,
        coalesce(artifacts.feature_group, 'intercept') as feature_group,
        cast(case when artifacts.scorer = 'sql' then artifacts.coefficient end as {{ type_double() }}) as coefficient,
        cast(artifacts.curvature as {{ type_double() }}) as curvature,
        cast(artifacts.centre as {{ type_double() }}) as centre,
        cast(artifacts.scale as {{ type_double() }}) as scale,
        cast(
            case when artifacts.scorer = 'sql' and artifacts.part = 'feature' then exp(artifacts.coefficient) end
            as {{ type_double() }}
        ) as odds_ratio_per_sd,
        cast(
            case when artifacts.scorer = 'gbm' then {{ safe_divide('artifacts.coefficient', 'gain_totals.total_gain') }} end
            as {{ type_double() }}
        ) as gain_share
    from artifacts
    cross join gain_totals
)

select {{ stable_select() }} from final
