{#- Aggregate: how many distinct values between 0 and 63 an integer expression takes in the
    group, counted as the set bits of a 64-bit mask (a bitwise or of 1 << value); values
    outside 0-63 and nulls are not counted. Exact, and cheaper than count(distinct) where the
    group is grouped anyway. -#}
{% macro distinct_bit_count(expr) -%}
    {{ return(adapter.dispatch('distinct_bit_count', 'customs_cip')(expr)) }}
{%- endmacro %}

{% macro default__distinct_bit_count(expr) -%}
    length(replace(cast(cast(bit_or(case when {{ expr }} between 0 and 63 then cast(1 as bigint) << {{ expr }} end) as bit(64)) as text), '0', ''))
{%- endmacro %}

{% macro duckdb__distinct_bit_count(expr) -%}
    bit_count(bit_or(case when {{ expr }} between 0 and 63 then cast(1 as ubigint) << {{ expr }} end))
{%- endmacro %}

{% macro spark__distinct_bit_count(expr) -%}
    bit_count(bit_or(case when {{ expr }} between 0 and 63 then shiftleft(cast(1 as bigint), {{ expr }}) end))
{%- endmacro %}
