{#- True when item is one of the values of a '|'-separated list column (config seeds
    keep small lists such as risk types in one cell). -#}
{% macro pipe_list_contains(list_expr, item_expr) -%}
    {{ dbt.position("'|' || " ~ item_expr ~ " || '|'", "'|' || " ~ list_expr ~ " || '|'") }} > 0
{%- endmacro %}
