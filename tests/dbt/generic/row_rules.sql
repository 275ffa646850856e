{#- Several row rules over one large model in one test node (issue 13): a node per rule cost
    dbt's per-node overhead each, and re-executed the model each time when it is a view. Each
    rule keeps the semantics of the single test it replaces: not_null fails on a null;
    accepted_values fails on a value outside the list (a null passes, as in dbt's
    accepted_values); an expression fails where it is false (a null passes, as in
    expression_is_true). Fails with one row per rule a row breaks, named in failed_rule. -#}
{% test row_rules(model, not_null=[], accepted_values={}, expressions=[]) %}

with

failing_rows as (
    {{ row_rules_failing_rows(model, not_null, accepted_values, expressions) }}
)

select * from failing_rows

{% endtest %}
