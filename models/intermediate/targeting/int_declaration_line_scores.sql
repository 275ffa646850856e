{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    unique_key=['declaration_id', 'item_no'],
    incremental_strategy='delete+insert',
    pre_hook=[
        "{% if is_incremental() %}"
        ~ "delete from {{ this }} where model_fingerprint <> coalesce((select max(text) from"
        ~ " {{ ref('int_line_risk_models_trained') }} where part = 'card' and name = 'training_fingerprint'), 'none')"
        ~ "{% endif %}",
        "{% if is_incremental() %}"
        ~ "delete from {{ this }} where not exists (select 1 from {{ ref('int_declaration_line_features') }} as features"
        ~ " where features.declaration_id = {{ this }}.declaration_id and features.item_no = {{ this }}.item_no)"
        ~ "{% endif %}",
    ],
) }}
-- depends_on: {{ ref('int_line_risk_models_trained') }}
-- depends_on: {{ ref('base_customs__declarations') }}
{#- M10, M4 learned at the line: the two learned scores of every line, applied in SQL
    from the artifacts of int_line_risk_models_trained (docs/targeting.md):
      score_gbm   logistic of the sum of the boosted trees, compiled to CASE expressions;
      score_sql   logistic of intercept + the logistic terms coefficient x z + curvature x
                  (z^2 - 1), z = (feature - centre) / scale, summed by where the risk lives
                  (contribution_<group>: goods, route, goods x route, value, parties, procedure).
    Incremental (issue 13, docs/incremental.md), after a retrain every line is scored
    again; otherwise var line_risk_rescore says which lines are:
      new      (default) the lines not scored yet and the lines of the latest load (new and
               corrected): a stored line keeps the score it was given, as a selectivity
               system keeps the decision it made on the day;
      changed  also every line whose features (a 64-bit hash of the features the model
               reads) changed: a late correction moves the norms and the parties' pricing of
               all later months, so this rescoring matches a full refresh exactly.
    The pre-hooks first delete the rows of another model (a retrain: the delete+insert then
    has nothing to match) and of lines no longer staged. The trees are the dearest part of
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
{%- set rescore = var('line_risk_rescore') if execute else 'new' -%}
{%- if rescore not in ['new', 'changed'] -%}
    {{ exceptions.raise_compiler_error("var line_risk_rescore must be new or changed; got '"
        ~ rescore ~ "' (docs/incremental.md).") }}
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

    latest_load as (
        -- the lines the latest load brought or corrected
        select distinct
            declaration_id,
            item_no
        from {{ ref('base_customs__declarations') }}
        where _load_seq = (select max(_load_seq) from {{ ref('base_customs__declarations') }})
    ),

    -- lines not scored yet (every line after a retrain), the lines of the latest load and, to
    -- rescore the changed lines, every line whose features changed
    lines as (
        select features.*
        from features
        left join stored
            on features.declaration_id = stored.declaration_id
                and features.item_no = stored.item_no
        left join latest_load
            on features.declaration_id = latest_load.declaration_id
                and features.item_no = latest_load.item_no
        where
            stored.declaration_id is null
            or latest_load.declaration_id is not null
            or {{ 'features.feature_hash <> stored.feature_hash' if rescore == 'changed' else 'false' }}
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
