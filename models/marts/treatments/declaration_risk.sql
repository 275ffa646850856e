{#- M10 (declaration-level selectivity feed), M4 learned at the line: every staged
    declaration line scored three ways, each using only what was known on its
    declaration date (docs/targeting.md):
      score_gbm   the boosted model of int_line_risk_models_trained, its trees compiled
                  to SQL CASE expressions: logistic of the sum of their leaf values;
      score_sql   the learned logistic score: intercept + sum over the features of
                  coefficient x z + curvature x (z^2 - 1), z = (feature - centre) / scale,
                  from the same weights table (marts.line_risk_weights); its log-odds
                  split by where the risk lives
                  (goods, route, goods x route, value, parties, procedure) explains the line;
      score_rule  the former hand-weighted score, kept as a baseline: var
                  declaration_weight_<part> x (operator GRI at the previous quarter end,
                  risky HS code, origin, broker, unit value below the norm, first-time operator).
    The two learned scores are computed by int_declaration_line_scores (incremental: a
    daily load scores its new lines only); this model joins them, the rule score and the
    ranks. risk_score is the one var declaration_scorer names (a learned score falls back
    to the next one when there was too little to learn from). Within each declaration month
    the highest-scored var channel_red_share of lines are recommended red, the next
    var channel_yellow_share yellow, the rest green.
    The learned scores of lines examined before the training cut-off are in-sample (the
    models learned from them); lines after it, and every backtest, are out of sample. -#}
{%- set groups = ['goods', 'route', 'goods_route', 'value', 'parties', 'procedure'] -%}
{%- set scorers = {'gbm': 'score_gbm', 'sql': 'score_sql', 'rule': 'score_rule'} -%}
{%- set chosen = var('declaration_scorer') if execute else 'gbm' -%}
{%- if chosen not in scorers -%}
    {{ exceptions.raise_compiler_error("var declaration_scorer must be one of gbm, sql, rule; got '"
        ~ chosen ~ "' (docs/targeting.md).") }}
{%- endif -%}
{%- set fallback = ['gbm', 'sql', 'rule'][['gbm', 'sql', 'rule'].index(chosen):] %}

with

lines as (
    select * from {{ ref('int_declaration_line_features') }}
),

learned_scores as (
    select * from {{ ref('int_declaration_line_scores') }}
),

quarterly_gri as (
    select * from {{ ref('int_operator_gri_quarterly') }}
),

-- noqa: disable=LT02,LT05
scored as (
    select
        lines.declaration_id,
        lines.item_no,
        lines.tin,
        lines.declaration_date,
        lines.declaration_month,
        lines.flow,
        lines.channel,
        lines.customs_value_usd,
        lines.taxes_paid_usd,
        coalesce(quarterly_gri.gri, 0) as operator_gri,
        lines.previous_quarter_end as operator_gri_as_of,
        lines.is_risky_hs,
        lines.is_risky_origin,
        lines.is_risky_broker,
        lines.is_below_unit_value_norm,
        lines.is_first_time_operator,
        {{ var('declaration_weight_operator_gri') }} * coalesce(quarterly_gri.gri, 0)
        + {{ var('declaration_weight_risky_hs') }} * case when lines.is_risky_hs then 1 else 0 end
        + {{ var('declaration_weight_risky_origin') }} * case when lines.is_risky_origin then 1 else 0 end
        + {{ var('declaration_weight_risky_broker') }} * case when lines.is_risky_broker then 1 else 0 end
        + {{ var('declaration_weight_below_norm') }} * case when lines.is_below_unit_value_norm then 1 else 0 end
        + {{ var('declaration_weight_first_time') }} * case when lines.is_first_time_operator then 1 else 0 end
            as score_rule,
        {%- for group in groups %}
        learned_scores.contribution_{{ group }},
        {%- endfor %}
        learned_scores.score_sql,
        learned_scores.score_gbm
    from lines
    left join learned_scores
        on lines.declaration_id = learned_scores.declaration_id
            and lines.item_no = learned_scores.item_no
    left join quarterly_gri
        on lines.tin = quarterly_gri.tin
            and lines.previous_quarter_end = quarterly_gri.period_end
),

selected as (
    select
        *,
        coalesce({% for name in fallback %}{{ scorers[name] }}{{ ', ' if not loop.last }}{% endfor %}) as risk_score
    from scored
),
-- noqa: enable=LT02,LT05

ranked as (
    -- only numbers and the keys go through the window's sort: the text labels below are
    -- computed after it (issue 13: each wide column is sorted with the 10M rows)
    select
        *,
        row_number() over (
            partition by declaration_month order by risk_score desc, declaration_id asc, item_no asc
        ) as month_rank,
        count(*) over (partition by declaration_month) as month_lines
    from selected
),

-- noqa: disable=LT02,LT05
explained as (
    select
        *,
        greatest({% for group in groups %}coalesce(contribution_{{ group }}, 0){{ ', ' if not loop.last }}{% endfor %})
            as top_contribution
    from ranked
),

labelled as (
    select
        *,
        case
            {%- for name in fallback %}
            when {{ scorers[name] }} is not null then '{{ name }}'
            {%- endfor %}
        end as scorer,
        case
            when top_contribution <= 0 then 'none'
            {%- for group in groups %}
            when contribution_{{ group }} = top_contribution then '{{ group }}'
            {%- endfor %}
        end as main_risk_group
    from explained
),
-- noqa: enable=LT02,LT05

final as (
    select
        declaration_id,
        cast(item_no as integer) as item_no,
        tin,
        declaration_date,
        declaration_month,
        flow,
        channel as recorded_channel,
        cast(customs_value_usd as {{ type_double() }}) as customs_value_usd,
        cast(taxes_paid_usd as {{ type_double() }}) as taxes_paid_usd,
        cast(operator_gri as {{ type_double() }}) as operator_gri,
        operator_gri_as_of,
        is_risky_hs,
        is_risky_origin,
        is_risky_broker,
        is_below_unit_value_norm,
        is_first_time_operator,
        cast({{ round_double('score_rule', 6) }} as {{ type_double() }}) as score_rule,
        cast(score_sql as {{ type_double() }}) as score_sql,
        cast(score_gbm as {{ type_double() }}) as score_gbm,
        cast(risk_score as {{ type_double() }}) as risk_score,
        scorer,
        {%- for group in groups %}
            cast(contribution_{{ group }} as {{ type_double() }}) as contribution_{{ group }},
        {%- endfor %}
        main_risk_group,
        cast(month_rank as integer) as month_rank,
        case
            when month_rank <= ceil({{ var('channel_red_share') }} * month_lines) then 'red'
            when month_rank <= ceil(({{ var('channel_red_share') }} + {{ var('channel_yellow_share') }}) * month_lines)
                then 'yellow'
            else 'green'
        end as recommended_channel
    from labelled
)

select * from final
