{#- numerator / denominator, null when the denominator is zero or null. -#}
{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide', 'customs_cip')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- sum(expr) adding the values in the order of order_key, so a float sum is the same
    whatever order parallel threads meet the rows in (as an aggregate). -#}
{% macro ordered_sum(expr, order_key) -%}
    {{ return(adapter.dispatch('ordered_sum', 'customs_cip')(expr, order_key)) }}
{%- endmacro %}

{% macro default__ordered_sum(expr, order_key) -%}
    sum({{ expr }} order by {{ order_key }})
{%- endmacro %}

{#- Spark has no ordered aggregates: the values are collected, sorted on the key and added. -#}
{% macro spark__ordered_sum(expr, order_key) -%}
    aggregate(
        transform(array_sort(collect_list(struct({{ order_key }} as sort_key, {{ expr }} as summed))), entry -> entry.summed),
        cast(null as double),
        (total, value) -> case when value is null then total else coalesce(total, 0D) + value end
    )
{%- endmacro %}
