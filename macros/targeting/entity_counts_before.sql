{#- M10 (learned declaration risk): for every request (entity, entity_key, event_date) of the
    relation `requests`, the examined and irregular lines of `outcomes` (entity, entity_key,
    event_date, examined_lines, irregular_lines) of the same entity closed strictly before
    that date. Returns a select of entity, entity_key, as_of_day, examined_before,
    irregular_before; a request with no earlier outcome counts 0.
    `keys` are the columns that name an entity key in both relations (default entity,
    entity_key) and are returned in their place; a caller that numbered its keys passes its
    integer id instead, which is cheaper to partition and sort on, and joins its names back
    to the result (the sort then carries no text: issue 13, 50M). -#}
{% macro entity_counts_before(requests, outcomes, keys=['entity', 'entity_key']) -%}
    {{ return(adapter.dispatch('entity_counts_before', 'customs_cip')(requests, outcomes, keys)) }}
{%- endmacro %}

{#- Portable: one running sum over the requests and outcomes together, in date order; at
    equal dates the request sorts first, so an outcome of that day is not counted. -#}
{% macro default__entity_counts_before(requests, outcomes, keys) -%}
    select
        {{ keys | join(', ') }},
        event_date as as_of_day,
        examined_before,
        irregular_before
    from (
        select
            {{ keys | join(', ') }},
            event_date,
            is_outcome,
            sum(examined_lines) over entity_history as examined_before,
            sum(irregular_lines) over entity_history as irregular_before
        from (
            select
                {{ keys | join(', ') }},
                event_date,
                0 as is_outcome,
                0 as examined_lines,
                0 as irregular_lines
            from {{ requests }}
            union all
            select
                {{ keys | join(', ') }},
                event_date,
                1 as is_outcome,
                examined_lines,
                irregular_lines
            from {{ outcomes }}
        ) as stream
        window entity_history as (
            partition by {{ keys | join(', ') }}
            order by event_date, is_outcome
            rows between unbounded preceding and current row
        )
    ) as cumulated
    where is_outcome = 0
{%- endmacro %}

{#- DuckDB: the running sum over the outcomes alone (a few per key), then each request takes
    the latest running sum strictly before its date (ASOF join). The same rows as the
    portable window, which sorted the ~4 requests per line with them: 59% of the model's
    operator time at 1M lines (docs/benchmarks.md, "Issue 13, targeting chain"). -#}
{% macro duckdb__entity_counts_before(requests, outcomes, keys) -%}
    {%- set same_key = [] -%}
    {%- for key in keys -%}
        {%- do same_key.append('requests.' ~ key ~ ' = outcomes_cumulated.' ~ key) -%}
    {%- endfor %}
    select
        {%- for key in keys %}
        requests.{{ key }},
        {%- endfor %}
        requests.event_date as as_of_day,
        coalesce(outcomes_cumulated.examined_before, 0) as examined_before,
        coalesce(outcomes_cumulated.irregular_before, 0) as irregular_before
    from {{ requests }} as requests
    asof left join (
        select
            {{ keys | join(', ') }},
            event_date,
            sum(examined_lines) over entity_history as examined_before,
            sum(irregular_lines) over entity_history as irregular_before
        from {{ outcomes }}
        window entity_history as (
            partition by {{ keys | join(', ') }}
            order by event_date
            rows between unbounded preceding and current row
        )
    ) as outcomes_cumulated
        on {{ same_key | join(' and ') }}
            and requests.event_date > outcomes_cumulated.event_date
{%- endmacro %}
