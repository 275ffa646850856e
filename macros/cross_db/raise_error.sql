{#- An SQL expression that stops the query with `message` when evaluated: for checks
    that can only run on the data (issue 16: a clear stop, not a failing test later). -#}
{% macro raise_error_sql(message) -%}
    {{ return(adapter.dispatch('raise_error_sql', 'customs_cip')(message)) }}
{%- endmacro %}

{% macro default__raise_error_sql(message) -%}
    cast({{ sql_string(message) }} as integer)
{%- endmacro %}

{#- Postgres folds a constant cast while planning, even in a branch never taken: a
    volatile function raises only when evaluated (postgres__cip_engine_setup). -#}
{% macro postgres__raise_error_sql(message) -%}
    {{ target.schema }}.cip_raise_error({{ sql_string(message) }})
{%- endmacro %}

{% macro duckdb__raise_error_sql(message) -%}
    error({{ sql_string(message) }})
{%- endmacro %}

{#- Spark: a cast of text to integer gives null (ANSI mode is off under dbt-spark). -#}
{% macro spark__raise_error_sql(message) -%}
    raise_error({{ sql_string(message) }})
{%- endmacro %}
