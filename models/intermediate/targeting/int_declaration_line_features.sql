{{ config(materialized='view') }}
{#- M10 / M4 learned, at the line: every staged declaration line with the features the
    learned scorers read, each known ON ITS DECLARATION DATE (docs/targeting.md).
    Columns named f_* are the features; int_line_risk_models_trained learns from
    every f_* column and the scorers apply them.
    A view over the stored int_declaration_line_feature_counts (issue 13: the three doubles
    per entity were 4.6 GB of the 10M warehouse; two integer counts and the day's prior
    compress). Per entity of macro line_entity_keys it derives, with the expressions, casts
    and order of operations the stored table used to have (so the values are bit for bit
    the same):
      - <entity>_hit_rate: the hit rate of its examined lines, smoothed toward the overall
        rate of the day (prior_rate) by an m-estimate (var line_risk_smoothing_m pseudo-lines);
      - f_<entity>_lift: that rate as a log-odds lift over the overall rate (0 = no evidence);
      - f_<entity>_support: the log of 1 + its examined lines.
    The other features are passed through. A feature added to the stored model must be
    listed below as well: the build stops when a stored f_* column is not. The incremental
    logic (daily path, pre-hook) is the stored model's; a view computes nothing on its own. -#}
{%- set entities = line_entity_keys().keys() | list -%}
{%- set m = var('line_risk_smoothing_m') -%}
{%- set passed_features = [] -%}
{%- for norm in ['line', 'line_origin', 'hs6'] -%}
    {%- do passed_features.extend(['f_uv_log_ratio_' ~ norm, 'f_uv_z_' ~ norm]) -%}
{%- endfor -%}
{%- for party in ['importer', 'declarant', 'supplier'] -%}
    {%- do passed_features.extend(['f_' ~ party ~ '_mean_uv_log_ratio', 'f_' ~ party ~ '_below_norm_share',
        'f_' ~ party ~ '_priced_support']) -%}
{%- endfor -%}
{%- do passed_features.extend(['f_log_unit_value', 'f_log_customs_value_usd', 'f_log_net_mass_kg', 'f_duty_rate',
    'f_is_import', 'f_is_exempt', 'f_is_aeo', 'f_is_first_time_operator', 'f_is_below_unit_value_norm']) -%}
{%- if execute -%}
    {#- a feature stored but not passed would silently leave the models: stop instead -#}
    {%- set stored = adapter.get_relation(database=this.database, schema=this.schema,
        identifier='int_declaration_line_feature_counts') -%}
    {%- if stored is not none -%}
        {%- set stored_features = [] -%}
        {%- for column in adapter.get_columns_in_relation(stored) -%}
            {%- if (column.name | lower).startswith('f_') -%}
                {%- do stored_features.append(column.name | lower) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if stored_features != passed_features -%}
            {{ exceptions.raise_compiler_error(
                "int_declaration_line_features passes the stored features " ~ passed_features
                ~ " but int_declaration_line_feature_counts stores " ~ stored_features
                ~ ": list every stored f_* column in the view, in the stored order.") }}
        {%- endif -%}
    {%- endif -%}
{%- endif %}

with

feature_counts as (
    select * from {{ ref('int_declaration_line_feature_counts') }}
),

-- noqa: disable=LT02
final as (
    select
        -- ids and what the scores are reported with (macro line_report_columns)
        {{ line_report_columns() }},
        {%- for entity in entities %}
        {{ entity }}_examined,
        cast(({{ entity }}_irregular + {{ m }} * prior_rate) / ({{ entity }}_examined + {{ m }}) as {{ type_double() }})
            as {{ entity }}_hit_rate,
        {%- endfor %}
        -- features
        {%- for entity in entities %}
        cast(
            ln(
                ({{ entity }}_irregular + {{ m }} * prior_rate)
                / ({{ entity }}_examined - {{ entity }}_irregular + {{ m }} * (1 - prior_rate))
            )
            - ln(prior_rate / (1 - prior_rate)) as {{ type_double() }}
        ) as f_{{ entity }}_lift,
        cast(ln(1 + {{ entity }}_examined) as {{ type_double() }}) as f_{{ entity }}_support,
        {%- endfor %}
        {%- for feature in passed_features %}
        {{ feature }}{{ ',' if not loop.last }}
        {%- endfor %}
    from feature_counts
)
-- noqa: enable=LT02

select * from final
