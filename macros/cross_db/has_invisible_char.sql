{#- True when text holds a control character (U+0000-U+001F but tab and line breaks, which a
    quoted CSV value may hold as written; U+007F) or an invisible format character (zero-width
    space / joiners, direction marks, word joiner, BOM, soft hyphen): in an identifier it makes
    a second id that looks like the first. -#}
{% macro has_invisible_char(expr) -%}
    {{ return(adapter.dispatch('has_invisible_char', 'customs_cip')(expr)) }}
{%- endmacro %}

{% macro default__has_invisible_char(expr) -%}
    ({{ expr }} ~ '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2060\ufeff\u00ad]')
{%- endmacro %}

{% macro duckdb__has_invisible_char(expr) -%}
    regexp_matches({{ expr }}, '[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{200b}-\x{200f}\x{2060}\x{feff}\x{ad}]')
{%- endmacro %}

{#- Spark unescapes string literals first: each backslash doubled reaches Java's regex once -#}
{% macro spark__has_invisible_char(expr) -%}
    ({{ expr }} rlike '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\u200b-\\u200f\\u2060\\ufeff\\u00ad]')
{%- endmacro %}
