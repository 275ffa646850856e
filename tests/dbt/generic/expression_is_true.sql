{#- Every row satisfies the SQL expression (for ranges and arithmetic identities). -#}
{% test expression_is_true(model, expression, column_name=none) %}

select * from {{ model }}
where not ({{ expression }})

{% endtest %}
