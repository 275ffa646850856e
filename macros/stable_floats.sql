{#
  Deterministic marts (issue 16, item 5; docs/serving.md).

  DuckDB adds doubles in parallel, and the order in which its threads combine partial sums is
  not fixed, so two builds of the same data can differ in the last bits of a float sum (a
  relative 1e-16 to 3e-12 at 40,000 lines). Every mart (except declaration_risk) ends with

      select {{ stable_select() }} from final

  which lists the mart's contract columns in their documented order and rounds each double
  column with stable_float: 10 significant digits, and at most 12 decimals (a sum that should
  be 0 but kept 1e-14 of noise reads 0). The error is at most 5e-10 x max(1, |value|), under
  the 1e-9 tolerance of `cip check`, and the noise is 10,000 times smaller than the rounding
  step, so both builds round to the same double. Figures with at most 10 significant digits
  (a GRI at 6 decimals, an amount in cents, a threshold) come out exactly as they went in.

  Ties: an amount in cents times a 4-decimal exchange rate (79600.880205) has 11 digits and
  sits exactly half-way between two 10-digit values, where the noise would decide the side.
  The value is therefore raised by 2^-36 (1.5e-11) of itself before rounding: more than the
  noise, far less than the step, so such a tie always rounds away from zero.
  Null, NaN, infinity and 0 pass through unchanged; other column types are listed as they are.
#}

{% macro stable_float(expr, digits=10, max_decimals=12) -%}
    {{ return(adapter.dispatch('stable_float', 'customs_cip')(expr, digits, max_decimals)) }}
{%- endmacro %}

{% macro default__stable_float(expr, digits, max_decimals) -%}
    case
        when {{ expr }} is null or not {{ is_finite(expr) }} or {{ expr }} = 0 then {{ expr }}
        else {{ round_double(expr ~ ' * (1 + pow(2.0, -36))', 'cast(least(' ~ max_decimals ~ ', '
            ~ (digits - 1) ~ ' - floor(log10(abs(' ~ expr ~ ')))) as integer)') }}
    end
{%- endmacro %}

{% macro duckdb__stable_float(expr, digits, max_decimals) -%}
    case
        when {{ expr }} is null or not isfinite({{ expr }}) or {{ expr }} = 0 then {{ expr }}
        else round({{ expr }} * (1 + pow(2.0, -36)), cast(least({{ max_decimals }},
            {{ digits - 1 }} - floor(log10(abs({{ expr }})))) as integer))
    end
{%- endmacro %}


{% macro stable_select() -%}
    {%- set float_types = ['double', 'float', 'float8', 'double precision', 'real', 'float4'] -%}
    {#- at parse time, and in unit tests (which check the logic on exact values), no rounding -#}
    {%- if not execute or model.resource_type != 'model' -%}{{ return('*') }}{%- endif -%}
    {%- set columns = model.columns.values() | list -%}
    {%- if columns | length == 0 -%}
        {{ exceptions.raise_compiler_error("stable_select() needs the model's columns in its yml (" ~ model.name ~ ")") }}
    {%- endif -%}
    {%- for column in columns %}
        {% if (column.data_type or '') | lower | trim in float_types -%}
            {{ stable_float(adapter.quote(column.name)) }} as {{ adapter.quote(column.name) }}
        {%- else -%}
            {{ adapter.quote(column.name) }}
        {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

