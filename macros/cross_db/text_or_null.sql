{#- Raw text with surrounding whitespace (spaces, tabs, line breaks, no-break spaces)
    removed; '' and whitespace-only values become null (issue 16). -#}
{% macro text_or_null(expr) -%}
    {{ return(adapter.dispatch('text_or_null', 'customs_cip')(expr)) }}
{%- endmacro %}

{% macro default__text_or_null(expr) -%}
    nullif(trim(both E' \t\r\n\u00a0' from {{ expr }}), '')
{%- endmacro %}

{% macro duckdb__text_or_null(expr) -%}
    {#- trim() with a character list is slow (2.3x the whole test below at 1M lines): values
        whose first and last characters are not trimmed, nearly all, skip it. The ends are
        tested by code point (unicode() and a one-character substr), half the cost of the
        character subscripts [1] and [-1] over the 16 text columns of a declaration line
        (issue 13); unicode('') is -1, so an empty text still becomes null. -#}
    case
        when unicode({{ expr }}) not in (-1, 9, 10, 13, 32, 160)
            and unicode(substr({{ expr }}, -1)) not in (9, 10, 13, 32, 160)
            then {{ expr }}
        else nullif(trim({{ expr }}, ' ' || chr(9) || chr(10) || chr(13) || chr(160)), '')
    end
{%- endmacro %}

{% macro spark__text_or_null(expr) -%}
    nullif(trim(both ' \t\r\n\u00a0' from {{ expr }}), '')
{%- endmacro %}
