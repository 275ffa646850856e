{#- 64-bit floating point type. type_double() is 32-bit on DuckDB, too coarse
    for money and ratios. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'customs_cip')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{#- Text type for casts: `varchar` on DuckDB and Postgres, `string` on Spark (whose
    varchar needs a length). -#}
{% macro type_text() -%}
    {{ return(adapter.dispatch('type_text', 'customs_cip')()) }}
{%- endmacro %}

{% macro default__type_text() -%}
    varchar
{%- endmacro %}

{% macro spark__type_text() -%}
    string
{%- endmacro %}
