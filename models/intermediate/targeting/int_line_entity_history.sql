{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    pre_hook="{% if is_incremental() and line_risk_recompute_all() %}delete from {{ this }}{% endif %}",
) }}
{#- M10 (learned declaration risk), point in time: for every entity of macro
    line_entity_keys (tariff line, HS6, origin, importer, broker, HS6 x origin, ...)
    and every day a line of that entity was declared, how many of its lines had been
    examined, and found irregular, by examinations CLOSED BEFORE that day (and by
    the as-of date). Days before the entity's first examination are left out (nothing
    to count; the features read a missing day as 0). Entity 'all' holds the overall
    counts on every declaration day, the prior the rates are smoothed toward. Macro entity_counts_before counts, per
    declaration day, the examinations closed strictly before it (a running sum; on DuckDB
    over the examination days alone, with an ASOF join).
    int_declaration_line_feature_counts reads it back per line when it computes every line.
    Incremental on DuckDB (issue 13, docs/incremental.md): a run that computes every line
    (macro line_risk_recompute_all: a retrain is due, the exact modes, --full-refresh)
    replaces every row; a daily run keeps the stored rows and adds none, because the
    features look up their new lines' counts themselves (from the same outcomes, macro
    line_entity_outcomes). -#}
{%- if target.type == 'duckdb' %}
-- depends_on: {{ ref('int_line_risk_training_cutoff') }}
{%- endif %}
{%- set valued_lines = ref('int_declaration_lines_valued') -%}
{%- set staged_lines = ref('stg_customs__declarations') %}

with

examined_lines as (
    {{ line_entity_examined_lines() | indent(4) }}
),

outcomes as (
    -- lines examined per entity and closing day
    {{- line_entity_outcomes('examined_lines') | indent(4) }}
),

requests as (
    -- the days a line of the entity was declared, from the valued lines (the keys need none
    -- of the flagged view's joins), read by each entity's branch for its own key: a CTE of
    -- every key of every line, read 18 times, is materialised whole (~15 GB spilled at 50M).
    -- Keys without the duty rate read the staged lines: no join to the tariff lines per branch
    {{- line_entity_requests(valued_lines, compute_keys=true, declaration_lines=staged_lines) | indent(4) }}
),

-- every entity key with an outcome, numbered: the running sums and the look-up below
-- partition and sort on this integer, not on the two text columns
outcome_keys as (
    select
        entity,
        entity_key,
        min(event_date) as first_outcome_date,
        row_number() over (order by entity, entity_key) as key_id
    from outcomes
    group by entity, entity_key
),

outcomes_numbered as (
    select
        outcome_keys.key_id,
        outcomes.event_date,
        outcomes.examined_lines,
        outcomes.irregular_lines
    from outcomes
    inner join outcome_keys
        on outcomes.entity = outcome_keys.entity
            and outcomes.entity_key = outcome_keys.entity_key
),

declaration_days as (
    -- the staged lines are the valued lines (the valued view only adds columns)
    select declaration_date
    from {{ ref('stg_customs__declarations') }}
    group by declaration_date
),

overall_key as (
    select key_id
    from outcome_keys
    where entity = 'all'
),

-- only the days after the entity's first examination: before it there is nothing to
-- count (int_declaration_line_feature_counts reads a missing day as 0 examined lines), and
-- most keys of the pairs (HS6 x country, supplier) are never examined at all. Keys by
-- number only: the look-up sorts these rows, and text would multiply what it spills.
counted_days as (
    select
        outcome_keys.key_id,
        requests.event_date
    from requests
    inner join outcome_keys
        on requests.entity = outcome_keys.entity
            and requests.entity_key = outcome_keys.entity_key
    where requests.event_date > outcome_keys.first_outcome_date
    union all
    -- every declaration day counts overall, also before the first outcome (0 then)
    select
        overall_key.key_id,
        declaration_days.declaration_date as event_date
    from declaration_days
    left join overall_key
        on 1 = 1
),

-- examinations closed strictly before each counted day (an examination closed on the
-- declaration day is not counted)
counted as (
    {{ entity_counts_before('counted_days', 'outcomes_numbered', keys=['key_id']) | indent(4) }}
),

final as (
    select
        -- no key id: the overall days of a warehouse without any examination
        coalesce(outcome_keys.entity, 'all') as entity,
        coalesce(outcome_keys.entity_key, 'all') as entity_key,
        counted.as_of_day,
        cast(counted.examined_before as integer) as examined_before,
        cast(counted.irregular_before as integer) as irregular_before
    from counted
    left join outcome_keys
        on counted.key_id = outcome_keys.key_id
)

select * from final
{%- if not line_risk_recompute_all() %}
    -- a daily run keeps the stored rows and adds none (the features count their own lines);
    -- DuckDB plans a constant false filter as an empty result, so nothing above is computed
    where false
{%- endif %}
