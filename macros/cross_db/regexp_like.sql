{#- True when expr matches the regular expression pattern as a WHOLE on every engine: DuckDB's
    regexp_full_match does, Postgres' ~ and Spark's rlike find the pattern anywhere, so there it is
    wrapped in ^(?: )$ (a var such as tin_pattern written without anchors means the same
    everywhere). The pattern is a SQL string literal (quotes doubled), so a var cannot break the SQL. -#}
{% macro regexp_like(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_like', 'customs_cip')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_like(expr, pattern) -%}
    regexp_like({{ expr }}, {{ sql_string('^(?:' ~ pattern ~ ')$') }})
{%- endmacro %}

{% macro duckdb__regexp_like(expr, pattern) -%}
    regexp_full_match({{ expr }}, {{ sql_string(pattern) }})
{%- endmacro %}

{% macro postgres__regexp_like(expr, pattern) -%}
    ({{ expr }} ~ {{ sql_string('^(?:' ~ pattern ~ ')$') }})
{%- endmacro %}

{% macro spark__regexp_like(expr, pattern) -%}
    ({{ expr }} rlike {{ sql_string('^(?:' ~ pattern ~ ')$') }})
{%- endmacro %}
