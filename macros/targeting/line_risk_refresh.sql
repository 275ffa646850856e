{#- Issue 13 (docs/incremental.md, "Which lines get features"): whether this run of
    int_line_entity_history or int_declaration_line_feature_counts computes every line (true) or
    only the lines to score (false, the daily path on DuckDB). Every line is computed:
      - on other engines, on a first build and on --full-refresh (not incremental);
      - in the exact modes (var line_risk_retrain on_change, var line_risk_rescore changed);
      - when one of the chain's stored tables is missing (the other's rows could be stale);
      - when a retrain is due: the stored model card's cut-off differs from the one the
        trainer uses now (int_line_risk_training_cutoff, the trainer's own function), or no
        model is stored. The retrained model then learns from the features a full refresh
        gives, and every line is rescored with them.
    The trainer is read by name, not ref: it runs after both models (it reads the features),
    so what is read is the model stored by the previous run, as the trainer itself compares. -#}
{% macro line_risk_recompute_all() -%}
    {%- if not execute or target.type != 'duckdb' or not is_incremental() -%}
        {{ return(true) }}
    {%- endif -%}
    {%- if var('line_risk_retrain') != 'on_cutoff' or var('line_risk_rescore') != 'new' -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set stored = {} -%}
    {%- for name in ['int_line_entity_history', 'int_declaration_line_feature_counts', 'int_line_risk_models_trained'] -%}
        {%- set relation = adapter.get_relation(database=this.database, schema=this.schema, identifier=name) -%}
        {%- if relation is none -%}
            {{ return(true) }}
        {%- endif -%}
        {%- do stored.update({name: relation}) -%}
    {%- endfor -%}
    {%- set kept = run_query(
        "select count(*) > 0 and bool_and(card.text = cast(cutoff.training_cutoff as varchar))"
        ~ " from " ~ stored['int_line_risk_models_trained'] ~ " as card"
        ~ " cross join " ~ ref('int_line_risk_training_cutoff') ~ " as cutoff"
        ~ " where card.part = 'card' and card.name = 'as_of_date'") -%}
    {{ return(not kept.rows[0][0]) }}
{%- endmacro %}

{#- M10: the examined and irregular lines per entity key and closing day, and overall
    (entity 'all'), of the relation `examined_lines` (the entity key columns of macro
    line_entity_key_columns, control_date, irregular_line 0/1). The outcomes both
    int_line_entity_history and int_declaration_line_feature_counts count before a day.
    `requests` (entity, entity_key, ...), when given, keeps only the keys it asks for: the
    few thousand lines of a daily run need a small share of the keys. -#}
{% macro line_entity_outcomes(examined_lines, requests=none) -%}
    {%- for entity in line_entity_keys().keys() %}
    select
        '{{ entity }}' as entity,
        entity_key_{{ entity }} as entity_key,
        control_date as event_date,
        count(*) as examined_lines,
        sum(irregular_line) as irregular_lines
    from {{ examined_lines }}
    where entity_key_{{ entity }} is not null
    {%- if requests is not none %}
        and entity_key_{{ entity }} in (select entity_key from {{ requests }} where entity = '{{ entity }}')
    {%- endif %}
    group by entity_key_{{ entity }}, control_date
    union all
    {%- endfor %}
    select
        'all' as entity,
        'all' as entity_key,
        control_date as event_date,
        count(*) as examined_lines,
        sum(irregular_line) as irregular_lines
    from {{ examined_lines }}
    group by control_date
{%- endmacro %}

{#- M10: the days a line of each entity was declared: entity, entity_key, event_date. `lines`
    has the entity key columns of macro line_entity_key_columns and declaration_date, or, with
    compute_keys, the columns the keys are computed from (int_declaration_lines_valued's): each
    entity's branch then reads only its own key's columns. A relation holding every key of
    every line, read by 18 branches, is materialised whole by DuckDB (~15 GB spilled at 50M).
    With compute_keys, `declaration_lines` (the staged lines the valued view extends) is read
    instead by each key that uses none of the columns the view adds: that branch then skips the
    view's join to the tariff lines (10M probes per branch; -5% of the history's CPU at 10M). -#}
{% macro line_entity_requests(lines, compute_keys=false, declaration_lines=none) -%}
    {#- the columns int_declaration_lines_valued adds to the staged declaration lines; a key whose
        SQL merely contains one of these names (e.g. declared_duty_rate) reads the valued view,
        which is always right -#}
    {%- set valued_columns = ['duty_rate', 'value_unit', 'unit_value_usd'] -%}
    {%- for entity, expression in line_entity_keys().items() %}
    {%- set key = expression if compute_keys else 'entity_key_' ~ entity %}
    {%- set reads_valued = [] %}
    {%- for column in valued_columns if column in expression %}{% do reads_valued.append(column) %}{% endfor %}
    {%- set plain = compute_keys and declaration_lines is not none and reads_valued | length == 0 %}
    select
        '{{ entity }}' as entity,
        {{ key }} as entity_key,
        declaration_date as event_date
    from {{ declaration_lines if plain else lines }}
    where {{ key }} is not null
    group by {{ key }}, declaration_date
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- M10: every staged line examined by an examination closed by the as-of date (a warehouse
    as of D sees nothing later): its entity keys (macro line_entity_key_columns), the
    closing day and irregular_line (1 when the examination found an irregularity). The
    keys are computed after the join, on the examined lines only. -#}
{% macro line_entity_examined_lines() -%}
    select
        declaration_id,
        item_no,
        declaration_date,
        {{- line_entity_key_columns() | indent(4) }},
        control_date,
        irregular_line
    from (
        select
            lines.*,
            examinations_dated.control_date,
            case when examinations_dated.is_irregular then 1 else 0 end as irregular_line
        from {{ ref('int_declaration_lines_valued') }} as lines
        inner join {{ ref('int_examinations_dated') }} as examinations_dated
            on lines.declaration_id = examinations_dated.declaration_id
                and lines.item_no = examinations_dated.item_no
        cross join {{ ref('int_evaluation_window') }} as evaluation_window
        where examinations_dated.control_date <= evaluation_window.as_of_date
    ) as examined
{%- endmacro %}

{#- Issue 13, daily path of int_declaration_line_feature_counts: its stored rows carry _load_seq,
    the latest load of base_customs__declarations when the row was computed. The watermark is
    the highest one stored (none when the column is missing, on a warehouse built before it,
    or no row has one). Base lines of a later load, or of the latest load, are the lines whose
    stored rows the pre-hook deletes (new, corrected, rejected or superseded since the
    features last ran, skipped runs included) and, when flagged, the lines to compute. -#}
{% macro line_features_watermark() -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if '_load_seq' not in columns -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set stored = run_query('select max(_load_seq) from ' ~ this) -%}
    {{ return(stored.rows[0][0]) }}
{%- endmacro %}

{#- the keys of the base lines loaded after `watermark` or in the latest load -#}
{% macro line_features_pending_keys(watermark) -%}
    {%- set base = ref('base_customs__declarations') -%}
    select distinct declaration_id, item_no from {{ base }}
    where _load_seq > {{ watermark }} or _load_seq = (select max(_load_seq) from {{ base }})
{%- endmacro %}

{#- Whether the lines to compute are exactly the flagged pending lines (macro
    line_features_pending_keys): true when every flagged line outside them has a stored row and
    no other line does, i.e. the stored keys and the flagged keys, each without the pending
    lines, have the same count and the same sum of 64-bit key hashes. Two scans that
    aggregate, no join of every flagged line against every stored key. It holds after every
    daily or full run of the model; it fails when the lines changed otherwise (for example
    base_customs__declarations rebuilt alone with --full-refresh, which restarts _load_seq),
    and then the model anti-joins every flagged line as before. A difference with equal
    count and hash sum (odds about 2^-64) would go unseen, as with var line_risk_rescore
    `changed`. The flagged lines are the valued lines with an operator (the model's daily
    path reads them so, see there). -#}
{% macro line_features_pending_exact(watermark) -%}
    {%- set query -%}
        with pending as (
            {{ line_features_pending_keys(watermark) }}
        ),

        stored_kept as (
            select count(*) as line_count, sum(hash(declaration_id, item_no)) as key_hash
            from {{ this }} as stored
            where not exists (
                select 1 from pending
                where pending.declaration_id = stored.declaration_id and pending.item_no = stored.item_no
            )
        ),

        flagged_kept as (
            select count(*) as line_count, sum(hash(declaration_id, item_no)) as key_hash
            from {{ ref('int_declaration_lines_valued') }} as flagged
            where tin is not null and not exists (
                select 1 from pending
                where pending.declaration_id = flagged.declaration_id and pending.item_no = flagged.item_no
            )
        )

        select
            stored_kept.line_count = flagged_kept.line_count
            and coalesce(stored_kept.key_hash = flagged_kept.key_hash, stored_kept.line_count = 0)
        from stored_kept
        cross join flagged_kept
    {%- endset -%}
    {{ return(run_query(query).rows[0][0]) }}
{%- endmacro %}

{#- Pre-hook of int_declaration_line_feature_counts (DuckDB, incremental runs): a run that computes
    every line deletes every stored row; a daily run deletes the stored rows of the pending lines
    (macro line_features_watermark: loaded since the features last ran, or in the latest load,
    rejected ones included; the latest load's only on a warehouse without the watermark), so
    that the model computes exactly the lines without stored features. -#}
{% macro line_features_delete_stored() -%}
    {%- if is_incremental() -%}
        {%- if line_risk_recompute_all() -%}
            delete from {{ this }}
        {%- else -%}
            {%- set base = ref('base_customs__declarations') -%}
            {%- set watermark = line_features_watermark() -%}
            delete from {{ this }}
            using (
                {%- if watermark is none %}
                select distinct declaration_id, item_no from {{ base }}
                where _load_seq = (select max(_load_seq) from {{ base }})
                {%- else %}
                {{ line_features_pending_keys(watermark) }}
                {%- endif %}
            ) as pending
            where {{ this }}.declaration_id = pending.declaration_id
                and {{ this }}.item_no = pending.item_no
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
