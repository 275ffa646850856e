{#- Vars that reach SQL are validated and typed here first, so a wrong value stops the
    run with a message naming the var and how to set it, and nothing a var holds can
    change the SQL around it (issue 16). -#}

{#- A SQL string literal: single quotes doubled. -#}
{% macro sql_string(value) -%}
    {{ return("'" ~ (value | string) | replace("'", "''") ~ "'") }}
{%- endmacro %}

{% macro _var_error(name, value, expected, example) -%}
    {{ exceptions.raise_compiler_error("Var " ~ name ~ " = " ~ (value | string)[:80] ~ " is not " ~ expected
        ~ ". Set it in dbt_project.yml or on the command line, e.g. --vars '{" ~ name ~ ": " ~ example ~ "}'"
        ~ " (cip build --vars FILE takes the same YAML).") }}
{%- endmacro %}

{#- A date var as 'YYYY-MM-DD', or none when the var is null/empty and allowed to be. -#}
{% macro cip_date_var(name, allow_null=true) -%}
    {%- if not execute -%}{{ return(none if allow_null else '1990-01-01') }}{%- endif -%}
    {%- set value = var(name, none) -%}
    {%- if value is none or (value | string | trim) in ('', 'None', 'null', 'none') -%}
        {%- if allow_null -%}{{ return(none) }}{%- endif -%}
        {{ _var_error(name, value, "a date (YYYY-MM-DD)", "2025-06-30") }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- set parts = text.split('-') -%}
    {%- if parts | length != 3 or parts[0] | length != 4 or parts[1] | length != 2 or parts[2] | length != 2
        or not (parts[0] ~ parts[1] ~ parts[2]).isdigit() -%}
        {{ _var_error(name, value, "a date (YYYY-MM-DD)", "2025-06-30") }}
    {%- endif -%}
    {%- set year, month, day = parts[0] | int, parts[1] | int, parts[2] | int -%}
    {%- set month_days = [31, 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28,
        31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- if year < 1 or month < 1 or month > 12 or day < 1 or day > month_days[month - 1] -%}
        {{ _var_error(name, value, "a valid calendar date (YYYY-MM-DD)", "2025-06-30") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{#- An integer var, at least min_value. -#}
{% macro cip_int_var(name, min_value=none) -%}
    {%- if not execute -%}{{ return(24) }}{%- endif -%}
    {%- set value = var(name, none) -%}
    {%- set text = value | string | trim -%}
    {%- if value is none or value is sameas true or value is sameas false or not text.lstrip('-').isdigit()
        or (min_value is not none and text | int < min_value) -%}
        {{ _var_error(name, value, "an integer" ~ (" >= " ~ min_value if min_value is not none else ""), 24) }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}

{#- A number var strictly above low (when given) and at most high (when given). -#}
{% macro cip_number_var(name, low=none, high=none) -%}
    {%- if not execute -%}{{ return(0.5) }}{%- endif -%}
    {%- set value = var(name, none) -%}
    {%- set text = value | string | trim -%}
    {%- set digits = text.lower().replace('e', '', 1).replace('.', '', 1).replace('+', '').replace('-', '') -%}
    {%- if value is none or value is sameas true or value is sameas false or not digits.isdigit() -%}
        {{ _var_error(name, value, "a number", 0.5) }}
    {%- endif -%}
    {%- set number = text | float -%}
    {%- if (low is not none and number <= low) or (high is not none and number > high) -%}
        {{ _var_error(name, value, "a number in (" ~ (low if low is not none else '-inf') ~ ", "
            ~ (high if high is not none else 'inf') ~ "]", 0.5) }}
    {%- endif -%}
    {{ return(number) }}
{%- endmacro %}

{#- A code var (currency code and the like): letters, digits, '_' and '-' only. -#}
{% macro cip_code_var(name) -%}
    {%- if not execute -%}{{ return('LCU') }}{%- endif -%}
    {%- set value = var(name, none) -%}
    {%- set text = value | string -%}
    {%- if value is none or text | length > 20 or not text.replace('_', '').replace('-', '').isalnum() or not text.isascii() -%}
        {{ _var_error(name, value, "a code (1-20 letters, digits, _ or -)", "LCU") }}
    {%- endif -%}
    {{ return(text.upper()) }}
{%- endmacro %}

{#- The load date: rows dated after it are quarantined. Var load_date, or today. -#}
{% macro load_date_sql() -%}
    {%- set value = cip_date_var('load_date') -%}
    {{ return("cast(" ~ sql_string(value) ~ " as date)" if value else "current_date") }}
{%- endmacro %}

{#- The earliest plausible date of a column: column meta `earliest`, else var earliest_date. -#}
{% macro earliest_date_for(column_meta) -%}
    {%- if column_meta.get('earliest') -%}
        {{ return(column_meta['earliest'] | string) }}
    {%- endif -%}
    {{ return(cip_date_var('earliest_date', allow_null=false)) }}
{%- endmacro %}
