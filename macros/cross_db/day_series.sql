{#- One row per day, column date_day, from start (included) to end (excluded), dates as 'YYYY-MM-DD'. -#}
{% macro day_series(start, end) -%}
    {{ return(adapter.dispatch('day_series', 'customs_cip')(start, end)) }}
{%- endmacro %}

{% macro default__day_series(start, end) -%}
    select cast(day_start as date) as date_day
    from generate_series(date '{{ start }}', date '{{ end }}' - 1, interval '1 day') as days (day_start)
{%- endmacro %}

{% macro duckdb__day_series(start, end) -%}
    select cast(range as date) as date_day
    from range(date '{{ start }}', date '{{ end }}', interval 1 day)
{%- endmacro %}

{% macro spark__day_series(start, end) -%}
    select explode(sequence(date '{{ start }}', date_sub(date '{{ end }}', 1), interval 1 day)) as date_day
{%- endmacro %}
