{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
    pre_hook="{% if is_incremental() %}"
        ~ "delete from {{ this }} where not exists (select 1 from {{ ref('int_declaration_line_features') }} as features"
        ~ " where features.declaration_id = {{ this }}.declaration_id and features.item_no = {{ this }}.item_no)"
        ~ "{% endif %}",
) }}
-- depends_on: {{ ref('int_line_risk_models_trained') }}
{#- M10, M4 learned at the line: the two learned scores of every line, applied in SQL
    from the artifacts of int_line_risk_models_trained (docs/targeting.md):
      score_gbm   logistic of the sum of the boosted trees, compiled to CASE expressions;
      score_sql   logistic of intercept + the logistic terms coefficient x z + curvature x
                  (z^2 - 1), z = (feature - centre) / scale, summed by where the risk lives
                  (contribution_<group>: goods, route, goods x route, value, parties, procedure).
    Incremental (issue 13, docs/incremental.md): a line is scored again only when its
    features (a 64-bit hash of the features the model reads) or the model (the training
    fingerprint) changed since it was stored, so a daily load scores its new and
    corrected lines and a retrain rescores every line. The trees are the dearest part of
    the build's scoring (about 100 CASE trees per line). -#}
{%- set groups = ['goods', 'route', 'goods_route', 'value', 'parties', 'procedure'] -%}
{%- set terms = {} -%}
{%- set trees = [] -%}
{%- set intercept = [] -%}
{%- set features = [] -%}
{%- set fingerprint = [] -%}
{%- if execute -%}
    {%- set artifacts = run_query(
        "select scorer, part, name, coefficient, centre, scale, feature_group, text, curvature from "
        ~ ref('int_line_risk_models_trained')
        ~ " where part in ('intercept', 'feature', 'tree') or (part = 'card' and name = 'training_fingerprint')"
        ~ " order by scorer, part, position") -%}
    {%- for row in artifacts.rows -%}
        {%- if row[1] == 'card' -%}
            {%- do fingerprint.append(row[7]) -%}
        {%- elif row[0] == 'sql' and row[1] == 'intercept' -%}
            {%- do intercept.append(row[3]) -%}
        {%- elif row[0] == 'sql' and row[1] == 'feature' -%}
            {#- z = (feature - centre) / scale; term = coefficient x z + curvature x (z^2 - 1) -#}
            {%- set z = '((lines.' ~ row[2] ~ ' - (' ~ row[4] ~ ')) / (' ~ row[5] ~ '))' -%}
            {%- do terms.setdefault(row[6], []).append(
                '(' ~ row[3] ~ ') * ' ~ z ~ ' + (' ~ row[8] ~ ') * (' ~ z ~ ' * ' ~ z ~ ' - 1)') -%}
        {%- elif row[0] == 'gbm' and row[1] == 'tree' -%}
            {%- do trees.append(row[7]) -%}
        {%- endif -%}
        {%- if row[1] == 'feature' and row[2] not in features -%}
            {%- do features.append(row[2]) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif -%}
{%- set model_fingerprint = (fingerprint | first) if fingerprint else 'none' %}

with

features as (
    select
        declaration_id,
        item_no,
        {%- for feature in features | sort %}
        {{ feature }},
        {%- endfor %}
        {{ hash_key(features | sort) if features else 'cast(0 as bigint)' }} as feature_hash
    from {{ ref('int_declaration_line_features') }}
),

{% if is_incremental() -%}
    stored as (
        select
            declaration_id,
            item_no,
            feature_hash
        from {{ this }}
        where model_fingerprint = '{{ model_fingerprint }}'
    ),

    -- new lines, lines whose features changed, and every line after a retrain
    lines as (
        select features.*
        from features
        left join stored
            on features.declaration_id = stored.declaration_id
                and features.item_no = stored.item_no
                and features.feature_hash = stored.feature_hash
        where stored.declaration_id is null
    ),
{%- else -%}
    lines as (
        select * from features
    ),
{%- endif %}

-- noqa: disable=LT02,LT05
scored as (
    select
        lines.declaration_id,
        lines.item_no,
        lines.feature_hash,
        {%- for group in groups %}
        {%- if intercept %}
        {{ terms.get(group, ['0']) | join('\n            + ') }} as contribution_{{ group }},
        {%- else %}
        cast(null as {{ type_double() }}) as contribution_{{ group }},
        {%- endif %}
        {%- endfor %}
        {%- if trees %}
        1 / (1 + exp(-(
            {{ trees | join('\n            + ') }}
        ))) as score_gbm
        {%- else %}
        cast(null as {{ type_double() }}) as score_gbm
        {%- endif %}
    from lines
),

final as (
    select
        declaration_id,
        item_no,
        '{{ model_fingerprint }}' as model_fingerprint,
        feature_hash,
        {%- if intercept %}
        1 / (1 + exp(-(({{ intercept[0] }})
            {%- for group in groups %} + contribution_{{ group }}{% endfor %}))) as score_sql,
        {%- else %}
        cast(null as {{ type_double() }}) as score_sql,
        {%- endif %}
        score_gbm,
        {%- for group in groups %}
        contribution_{{ group }}{{ ',' if not loop.last }}
        {%- endfor %}
    from scored
)
-- noqa: enable=LT02,LT05

select * from final
