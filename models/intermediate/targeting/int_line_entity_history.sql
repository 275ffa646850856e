{#- M10 (learned declaration risk), point in time: for every entity of macro
    line_entity_keys (tariff line, HS6, origin, importer, broker, HS6 x origin, ...)
    and every day a line of that entity was declared, how many of its lines had been
    examined, and found irregular, by examinations CLOSED BEFORE that day (and by
    the as-of date). Days before the entity's first examination are left out (nothing
    to count; the features read a missing day as 0). Entity 'all' holds the overall
    counts on every declaration day, the prior the rates are smoothed toward. Macro entity_counts_before counts, per
    declaration day, the examinations closed strictly before it (a running sum; on DuckDB
    over the examination days alone, with an ASOF join).
    int_declaration_line_features reads it back per line. -#}
{%- set entities = line_entity_keys().keys() | list %}

with

lines as (
    select
        declaration_id,
        item_no,
        declaration_date,
        {{ line_entity_key_columns() | indent(8) }}
    -- the valued lines, not the flagged view: the keys need none of the flags' joins
    from {{ ref('int_declaration_lines_valued') }}
),

evaluation_window as (
    select as_of_date from {{ ref('int_evaluation_window') }}
),

-- examinations known on the as-of date only (a warehouse as of D sees nothing later)
examinations as (
    select
        examinations_dated.declaration_id,
        examinations_dated.item_no,
        examinations_dated.control_date,
        examinations_dated.is_irregular
    from {{ ref('int_examinations_dated') }} as examinations_dated
    cross join evaluation_window
    where examinations_dated.control_date <= evaluation_window.as_of_date
),

examined_lines as (
    select
        lines.*,
        examinations.control_date,
        case when examinations.is_irregular then 1 else 0 end as irregular_line
    from lines
    inner join examinations
        on lines.declaration_id = examinations.declaration_id
            and lines.item_no = examinations.item_no
),

-- noqa: disable=LT02
outcomes as (
    -- lines examined per entity and closing day
    {%- for entity in entities %}
    select
        '{{ entity }}' as entity,
        entity_key_{{ entity }} as entity_key,
        control_date as event_date,
        count(*) as examined_lines,
        sum(irregular_line) as irregular_lines
    from examined_lines
    where entity_key_{{ entity }} is not null
    group by entity_key_{{ entity }}, control_date
    union all
    {%- endfor %}
    select
        'all' as entity,
        'all' as entity_key,
        control_date as event_date,
        count(*) as examined_lines,
        sum(irregular_line) as irregular_lines
    from examined_lines
    group by control_date
),

requests as (
    -- the days a line of the entity was declared
    {%- for entity in entities %}
    select
        '{{ entity }}' as entity,
        entity_key_{{ entity }} as entity_key,
        declaration_date as event_date
    from lines
    where entity_key_{{ entity }} is not null
    group by entity_key_{{ entity }}, declaration_date
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),
-- noqa: enable=LT02

first_outcomes as (
    select
        entity,
        entity_key,
        min(event_date) as first_outcome_date
    from outcomes
    where entity <> 'all'
    group by entity, entity_key
),

-- only the days after the entity's first examination: before it there is nothing to
-- count (int_declaration_line_features reads a missing day as 0 examined lines), and
-- most keys of the pairs (HS6 x country, supplier) are never examined at all
counted_days as (
    select
        requests.entity,
        requests.entity_key,
        requests.event_date
    from requests
    inner join first_outcomes
        on requests.entity = first_outcomes.entity
            and requests.entity_key = first_outcomes.entity_key
    where requests.event_date > first_outcomes.first_outcome_date
    union all
    select
        'all' as entity,
        'all' as entity_key,
        declaration_date as event_date
    from lines
    group by declaration_date
),

-- examinations closed strictly before each counted day (an examination closed on the
-- declaration day is not counted)
counted as (
    {{ entity_counts_before('counted_days', 'outcomes') | indent(4) }}
),

final as (
    select
        entity,
        entity_key,
        as_of_day,
        cast(examined_before as integer) as examined_before,
        cast(irregular_before as integer) as irregular_before
    from counted
)

select * from final
