{#- M7/M21 recurrence, in one place: an operator is a repeat offender when its offences
    fall in at least var repeat_offender_min_quarters distinct calendar quarters.
    offence_quarters counts those quarters (an aggregate over control rows that are
    offences); is_repeat_offender applies the threshold to such a count. -#}
{% macro offence_quarters(control_date, condition=none) -%}
    {%- if condition is none -%}
        count(distinct {{ dbt.date_trunc('quarter', control_date) }})
    {%- else -%}
        count(distinct case when {{ condition }} then {{ dbt.date_trunc('quarter', control_date) }} end)
    {%- endif -%}
{%- endmacro %}

{% macro is_repeat_offender(offence_quarters) -%}
    ({{ offence_quarters }} >= {{ var('repeat_offender_min_quarters') }})
{%- endmacro %}
