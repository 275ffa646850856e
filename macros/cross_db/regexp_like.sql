{#- True when expr matches the regular expression pattern (whole-string anchors are the caller's).
    The pattern is a SQL string literal (quotes doubled), so a var cannot break the SQL. -#}
{% macro regexp_like(expr, pattern) -%}
    {{ return(adapter.dispatch('regexp_like', 'customs_cip')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regexp_like(expr, pattern) -%}
    regexp_like({{ expr }}, {{ sql_string(pattern) }})
{%- endmacro %}

{% macro duckdb__regexp_like(expr, pattern) -%}
    regexp_full_match({{ expr }}, {{ sql_string(pattern) }})
{%- endmacro %}

{% macro postgres__regexp_like(expr, pattern) -%}
    ({{ expr }} ~ {{ sql_string(pattern) }})
{%- endmacro %}

{% macro spark__regexp_like(expr, pattern) -%}
    ({{ expr }} rlike {{ sql_string(pattern) }})
{%- endmacro %}
