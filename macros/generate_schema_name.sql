{#- Schemas are named by layer (staging, intermediate, marts, config) without the
    target-schema prefix, so BI tools and auditors see stable names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
