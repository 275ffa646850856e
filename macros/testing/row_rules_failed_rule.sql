{#- For the generic test row_rules (tests/dbt/generic): the CASE naming the first rule a
    row breaks, null when it breaks none. -#}
{% macro row_rules_failed_rule(not_null, accepted_values, expressions) %}
    {%- set rules = [] -%}
    {%- for column in not_null -%}
        {%- do rules.append((column ~ ' is null', 'not_null: ' ~ column)) -%}
    {%- endfor -%}
    {%- for column, values in accepted_values.items() -%}
        {%- set quoted = [] -%}
        {%- for value in values -%}
            {%- do quoted.append(sql_string(value)) -%}
        {%- endfor -%}
        {%- do rules.append((column ~ ' not in (' ~ quoted | join(', ') ~ ')', 'accepted_values: ' ~ column)) -%}
    {%- endfor -%}
    {%- for expression in expressions -%}
        {%- do rules.append(('not (' ~ expression ~ ')', 'expression: ' ~ expression)) -%}
    {%- endfor -%}
    {%- if not rules -%}
        {%- do exceptions.raise_compiler_error("row_rules: give at least one of not_null, accepted_values, expressions") -%}
    {%- endif -%}
    case{% for condition, label in rules %} when {{ condition }} then {{ sql_string(label) }}{% endfor %} end
{%- endmacro %}
