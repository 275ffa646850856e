{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ line_features_delete_stored() }}",
    post_hook="{{ line_features_insert_batches() }}",
) }}
{#- M10 / M4 learned, at the line: the stored part of the features of every staged
    declaration line, each known ON ITS DECLARATION DATE (docs/targeting.md). The view
    int_declaration_line_features reads it and is what the trainer, the scorers and the
    marts read: every f_* column of the view is a feature.
      - per entity of macro line_entity_keys: its lines examined, and found irregular, by
        examinations closed before the declaration date (int_line_entity_history), and
        once per line the overall rate of that day (prior_rate). Two integers per entity
        instead of the hit rate, lift and support (three doubles, which barely compress:
        4.6 GB of the 10M warehouse, issue 13); the view derives those with the
        expressions this model used to store;
      - unit value against the norm of its tariff line, of its tariff line x origin and
        of its HS6 subheading:
        log ratio to the geometric mean of the lines declared in earlier months, and
        that ratio in standard deviations (0 without a norm of var unit_value_min_lines lines);
      - how the importer, the broker and the supplier priced their import lines in
        earlier months: mean log ratio to the tariff line's norm and the share of lines
        below var unit_value_lower_bound_ratio x the norm (declarations only, no outcome);
      - value, mass, unit value (logs) and duty rate; imports, exemption, AEO;
      - the first-time-operator and below-norm rule flags (declarations only; the
        risky-broker flag is left out: its list reads examinations past the as-of date
        when the raw data has them, and the broker's own hit rate says the same).
    The operator GRI is not a feature: it is weighted with the weights of the as-of
    date, which are learned from later outcomes than an earlier line's date.
    Incremental on DuckDB (issue 13, docs/incremental.md): a daily run computes only the
    lines without stored features (the pre-hook first deletes those of the latest load),
    looking up their entity counts itself; the norms and the parties' pricing are still
    summed over every line, so such a line gets the features a full refresh gives it.
    Every line is computed when macro line_risk_recompute_all says so (a retrain is due,
    the exact modes, --full-refresh). -#}
-- depends_on: {{ ref('base_customs__declarations') }}
-- depends_on: {{ ref('int_declaration_lines_valued') }}
-- depends_on: {{ ref('int_examinations_dated') }}
-- depends_on: {{ ref('int_evaluation_window') }}
{%- if target.type == 'duckdb' %}
-- depends_on: {{ ref('int_line_risk_training_cutoff') }}
{%- endif %}
{%- set entities = line_entity_keys().keys() | list -%}
{%- set m = var('line_risk_smoothing_m') -%}
{%- set min_lines = var('unit_value_min_lines') -%}
{#- norms of the tariff line, of the tariff line x origin, and of the HS6 subheading (which
    still has a norm where a 10-digit line has too few lines) -#}
{%- set norms = {
    'line': ['flow', 'hs_code', 'value_unit'],
    'line_origin': ['flow', 'hs_code', 'origin_country', 'value_unit'],
    'hs6': ['flow', 'hs_subheading', 'value_unit'],
} -%}
{%- set pricing_parties = {'importer': 'tin', 'declarant': 'declarant_id', 'supplier': 'supplier_id'} -%}
{%- set log_unit_value = 'case when unit_value_usd > 0 then ln(unit_value_usd) end' -%}
{#- every line, or (a daily run) the lines without stored features: the frame the look-ups,
    the norms' per-line ratios and the output are computed on -#}
{%- set every_line = line_risk_recompute_all() -%}
{%- set output_lines = 'lines' if every_line else 'lines_to_compute' -%}
{#- every line: in batches of months on DuckDB (macro line_features_batches; the post-hook inserts
    the batches after the first), each batch's lines and history days filtered by the one
    `between` of macro line_features_batch_days; one batch needs no filter -#}
{%- set batches = line_features_batches() if every_line else [none] -%}
{%- set batch_days = line_features_batch_days(batches[0]) if batches[0] is not none else none -%}
{%- if batch_days is not none and execute %}
    {%- do log('int_declaration_line_feature_counts: batch 1 of ' ~ batches | length ~ ', days '
        ~ batches[0][0] ~ ' to ' ~ batches[0][1], info=true) %}
{%- endif %}

with

{% if every_line -%}
    lines as (
        select
            *,
            {{ log_unit_value }} as log_unit_value
        from {{ ref('int_declaration_lines_flagged') }}
        {%- if batch_days is not none %}
        where declaration_date {{ batch_days }}
        {%- endif %}
    ),

{% endif -%}

-- what the three norms sum, per month at the finest of their keys (int_line_unit_value_months,
-- one read of every line): each norm sums these groups (sums of integers: exact in any order)
unit_value_months as (
    select * from {{ ref('int_line_unit_value_months') }}
),

{% if not every_line -%}
    {#- the lines to score: new, corrected or rejected since the features last ran (their stored
        rows were deleted by the pre-hook), or never given features. When the stored watermark
        and the check of macro line_features_pending_exact say so, these are the flagged lines
        among the pending ones (a small semi-join); otherwise every flagged line is anti-joined
        against every stored key (10M x 10M, 18 CPU-s at 10M) -#}
    {%- set watermark = line_features_watermark() if execute else none %}
    {%- set pending_only = watermark is not none and line_features_pending_exact(watermark) %}
    {%- if pending_only %}
    pending_lines as (
        {{ line_features_pending_keys(watermark) | indent(8) }}
    ),
    {%- else %}
    stored_lines as (
        select
            declaration_id,
            item_no
        from {{ this }}
    ),
    {%- endif %}

    lines_to_compute as (
        select
            *,
            {{ log_unit_value }} as log_unit_value
        from {{ ref('int_declaration_lines_flagged') }} as flagged
        where {{ '' if pending_only else 'not ' }}exists (
            select 1
            from {{ 'pending_lines' if pending_only else 'stored_lines' }}
            where
                {{ 'pending_lines' if pending_only else 'stored_lines' }}.declaration_id = flagged.declaration_id
                and {{ 'pending_lines' if pending_only else 'stored_lines' }}.item_no = flagged.item_no
        )
    ),

    -- their entity counts, looked up here (int_line_entity_history is left as it is): the
    -- outcomes of every examined line, counted strictly before each line's day
    examined_lines as (
        {{ line_entity_examined_lines() | indent(8) }}
    ),

    line_keys_to_compute as (
        select
            declaration_date,
            {{ line_entity_key_columns() | indent(12) }}
        from lines_to_compute
    ),

    requests as (
        {{- line_entity_requests('line_keys_to_compute') | indent(8) }}
        union all
        select
            'all' as entity,
            'all' as entity_key,
            declaration_date as event_date
        from lines_to_compute
        group by declaration_date
    ),

    outcomes as (
        {{- line_entity_outcomes('examined_lines', 'requests') | indent(8) }}
    ),

    entity_history as (
        {{ entity_counts_before('requests', 'outcomes') | indent(8) }}
    ),

{% endif -%}

-- one import per entity: each is read once, so the filter reaches the table scan
-- (one shared CTE would be materialised whole and scanned 19 times)
{% for entity in entities %}
    history_{{ entity }} as (
        select
            entity_key,
            as_of_day,
            examined_before,
            irregular_before
        from {{ ref('int_line_entity_history') if every_line else 'entity_history' }}
        where entity = '{{ entity }}'{{ ' and as_of_day ' ~ batch_days if batch_days is not none }}
    ),

{% endfor %}
overall as (
    -- the prior: overall hit rate of the examinations closed before the day, itself
    -- smoothed toward var line_risk_prior_rate (the rate before any examination)
    select
        as_of_day,
        (irregular_before + {{ var('line_risk_prior_rate') }} * {{ m }})
        / (examined_before + {{ m }}) as prior_rate
    from {{ ref('int_line_entity_history') if every_line else 'entity_history' }}
    where entity = 'all'{{ ' and as_of_day ' ~ batch_days if batch_days is not none }}
),

{% for norm, keys in norms.items() %}
    unit_value_months_{{ norm }} as (
        select
            {{ keys | join(', ') }},
            declaration_month,
            sum(priced_lines) as priced_lines,
            sum(sum_log_micro) as sum_log_micro,
            sum(sum_log_squared_e8) as sum_log_squared_e8
        from unit_value_months
        group by {{ keys | join(', ') }}, declaration_month
    ),

    unit_value_norms_{{ norm }} as (
        -- lines of the earlier months only (the month itself is not known on its first day)
        select
            {{ keys | join(', ') }},
            declaration_month,
            sum(priced_lines) over earlier_months as priced_lines,
            cast(sum(sum_log_micro) over earlier_months as {{ type_double() }}) / 1000000 as sum_log,
            cast(sum(sum_log_squared_e8) over earlier_months as {{ type_double() }}) / 100000000 as sum_log_squared
        from unit_value_months_{{ norm }}
        window earlier_months as (
            partition by {{ keys | join(', ') }}
            order by declaration_month
            rows between unbounded preceding and 1 preceding
        )
    ),

{% endfor %}
-- noqa: disable=LT02
{#- the lines to output with their norms and the prior of their day. On DuckDB read a second
    time on purpose (a count in final), so that it is materialised before the 21 look-ups run:
    streamed, the flags', norms' and prior's hash tables stay alive in the look-ups' pipeline and
    at 1M with memory_limit 0.55GB the model ran out of memory (main: 113.6 s; read twice: 76.6 s);
    AS MATERIALIZED did not do the same (10M: >= 11 GB spill). Per batch it holds one batch's
    lines (docs/benchmarks.md, "50M, 2026-12-07 afternoon") -#}
{%- set source = output_lines %}
joined as (
    select
        {{ source }}.*,
        overall.prior_rate,
        {%- for norm, keys in norms.items() %}
        case
            when {{ source }}.log_unit_value is not null and norms_{{ norm }}.priced_lines >= {{ min_lines }}
                then {{ source }}.log_unit_value - norms_{{ norm }}.sum_log / norms_{{ norm }}.priced_lines
        end as uv_log_ratio_{{ norm }},
        case
            when norms_{{ norm }}.priced_lines >= {{ min_lines }}
                then sqrt(greatest(
                    norms_{{ norm }}.sum_log_squared / norms_{{ norm }}.priced_lines
                    - (norms_{{ norm }}.sum_log / norms_{{ norm }}.priced_lines)
                    * (norms_{{ norm }}.sum_log / norms_{{ norm }}.priced_lines),
                    0
                ))
        end as uv_log_sd_{{ norm }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ source }}
    inner join overall
        on {{ source }}.declaration_date = overall.as_of_day
    {%- for norm, keys in norms.items() %}
    left join unit_value_norms_{{ norm }} as norms_{{ norm }}
        on {{ source }}.declaration_month = norms_{{ norm }}.declaration_month
        {%- for key in keys %}
            and {{ source }}.{{ key }} = norms_{{ norm }}.{{ key }}
        {%- endfor %}
    {%- endfor %}
),

{%- for party, column in pricing_parties.items() %}
{{ party }}_pricing_months as (
    select
        party_id,
        declaration_month,
        priced_lines,
        sum_log_ratio_micro,
        lines_below
    from {{ ref('int_line_party_pricing_months') }}
    where party = '{{ party }}'
),

{{ party }}_pricing as (
    -- the party's lines of the earlier months only
    select
        party_id,
        declaration_month,
        sum(priced_lines) over earlier_months as priced_lines,
        cast(sum(sum_log_ratio_micro) over earlier_months as {{ type_double() }}) / 1000000 as sum_log_ratio,
        sum(lines_below) over earlier_months as lines_below
    from {{ party }}_pricing_months
    window earlier_months as (
        partition by party_id
        order by declaration_month
        rows between unbounded preceding and 1 preceding
    )
),

{% endfor %}
-- the 18 history and 3 pricing look-ups probe the line itself: a narrow key frame joined
-- back on the line id built a 1M-row hash table per 1M lines, which spills when memory is
-- short (10M); the probe side's columns are passed through, not copied
line_entity_keys as (
    select
        joined.*,
        {{ line_entity_key_columns() | indent(8) }}
    from joined
),

priced as (
    select
        line_entity_keys.*,
        {%- for entity in entities %}
        coalesce(history_{{ entity }}.examined_before, 0) as {{ entity }}_examined,
        coalesce(history_{{ entity }}.irregular_before, 0) as {{ entity }}_irregular,
        {%- endfor %}
        {%- for party in pricing_parties %}
        coalesce({{ party }}_pricing.priced_lines, 0) as {{ party }}_priced_lines,
        {{ party }}_pricing.sum_log_ratio / {{ party }}_pricing.priced_lines as {{ party }}_mean_log_ratio,
        {{ safe_divide(party ~ '_pricing.lines_below', party ~ '_pricing.priced_lines') }}
            as {{ party }}_below_share{{ ',' if not loop.last }}
        {%- endfor %}
    from line_entity_keys
    {%- for entity in entities %}
    left join history_{{ entity }}
        on line_entity_keys.entity_key_{{ entity }} = history_{{ entity }}.entity_key
            and line_entity_keys.declaration_date = history_{{ entity }}.as_of_day
    {%- endfor %}
    {%- for party, column in pricing_parties.items() %}
    left join {{ party }}_pricing
        on line_entity_keys.{{ column }} = {{ party }}_pricing.party_id
            and line_entity_keys.declaration_month = {{ party }}_pricing.declaration_month
    {%- endfor %}
),

{% if target.type == 'duckdb' -%}
    joined_read_twice as (
        select count(*) as joined_lines from joined
    ),

{% endif -%}
final as (
    select
        -- ids and what the scores are reported with (macro line_report_columns)
        {{ line_report_columns() }},
        -- what view int_declaration_line_features derives each entity's hit rate, lift and
        -- support from: the day's prior (as computed, its engine's type) and two integer counts,
        -- which compress where the three doubles per entity did not (issue 13)
        prior_rate,
        -- the latest load this row was computed with: the watermark of the daily path
        -- (macro line_features_watermark); view int_declaration_line_features leaves it out
        (select max(_load_seq) from {{ ref('base_customs__declarations') }}) as _load_seq,
        {%- for entity in entities %}
        cast({{ entity }}_examined as integer) as {{ entity }}_examined,
        cast({{ entity }}_irregular as integer) as {{ entity }}_irregular,
        {%- endfor %}
        -- features
        {%- for norm, keys in norms.items() %}
        -- rounded: the norms are float sums whose last bits depend on the order of parallel addition
        cast({{ round_double('coalesce(uv_log_ratio_' ~ norm ~ ', 0)', 9) }} as {{ type_double() }}) as f_uv_log_ratio_{{ norm }},
        cast({{ round_double('coalesce(uv_log_ratio_' ~ norm ~ ' / greatest(uv_log_sd_' ~ norm ~ ', 0.05), 0)', 9) }}
            as {{ type_double() }}) as f_uv_z_{{ norm }},
        {%- endfor %}
        {%- for party in pricing_parties %}
        -- rounded: sums of doubles whose last bits depend on the order of parallel addition
        cast({{ round_double('coalesce(' ~ party ~ '_mean_log_ratio, 0)', 9) }} as {{ type_double() }})
            as f_{{ party }}_mean_uv_log_ratio,
        cast({{ round_double('coalesce(' ~ party ~ '_below_share, 0)', 9) }} as {{ type_double() }})
            as f_{{ party }}_below_norm_share,
        cast(ln(1 + {{ party }}_priced_lines) as {{ type_double() }}) as f_{{ party }}_priced_support,
        {%- endfor %}
        cast(coalesce(log_unit_value, 0) as {{ type_double() }}) as f_log_unit_value,
        cast(ln(customs_value_usd) as {{ type_double() }}) as f_log_customs_value_usd,
        cast(coalesce(ln(case when net_mass_kg > 0 then net_mass_kg end), 0) as {{ type_double() }}) as f_log_net_mass_kg,
        cast(coalesce(duty_rate, 0) as {{ type_double() }}) as f_duty_rate,
        cast(case when flow = 'I' then 1 else 0 end as {{ type_double() }}) as f_is_import,
        cast(case when is_exempt then 1 else 0 end as {{ type_double() }}) as f_is_exempt,
        cast(case when is_aeo then 1 else 0 end as {{ type_double() }}) as f_is_aeo,
        cast(case when is_first_time_operator then 1 else 0 end as {{ type_double() }}) as f_is_first_time_operator,
        cast(case when is_below_unit_value_norm then 1 else 0 end as {{ type_double() }}) as f_is_below_unit_value_norm
    from priced
    {%- if target.type == 'duckdb' %}
    -- the second read of `joined` (see there)
    cross join joined_read_twice
    {%- endif %}
)
-- noqa: enable=LT02

select * from final
