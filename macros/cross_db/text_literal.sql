{#- A SQL string literal of a Jinja string, quotes escaped the engine's way. Standard SQL
    doubles a quote ('it''s'); Spark reads 'it''s' as two adjacent literals and drops the
    quote, so it escapes with a backslash there. -#}
{% macro text_literal(value) -%}
    {{ return(adapter.dispatch('text_literal', 'customs_cip')(value)) }}
{%- endmacro %}

{% macro default__text_literal(value) -%}
    '{{ value | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__text_literal(value) -%}
    '{{ value | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
