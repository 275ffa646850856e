{#- Several row rules over one large model in one query (issue 13): a test node per rule
    re-read the model once each (and re-executed it when it is a view). Each rule keeps
    the semantics of the single test it replaces: not_null fails on a null; accepted_values
    fails on a value outside the list (a null passes, as in dbt's accepted_values);
    an expression fails where it is false (null passes, as in expression_is_true).
    Fails with each failing row and the first rule it breaks (failed_rule). -#}
{% test row_rules(model, not_null=[], accepted_values={}, expressions=[]) %}

with

checked as (
    select
        {{ row_rules_failed_rule(not_null, accepted_values, expressions) }} as failed_rule,
        rows_checked.*
    from {{ model }} as rows_checked
)

select * from checked
where failed_rule is not null

{% endtest %}
