{#- The body of a base_ model: the raw rows of one source table, typed, with
    _reject_reasons ('' for a clean row) built from the cast errors, the contract
    (required values, allowed lists), a duplicate-key check and the model's own
    extra rules (SQL expressions giving a reason text or null).
    A column with meta restore_leading_zeros (a TIN) is first restored against its register
    when it lost its leading zeros (leading_zeros.sql): every rule, the key check included,
    sees the restored value; <column>_as_delivered keeps what came on a restored row (null
    otherwise); a value that several register values strip to is quarantined. A column with
    meta registered_in must hold a value of that register (when it has rows), else the row is
    quarantined. -#}
{% macro checked_source(source_name, table_name, extra_reasons=[]) -%}
    {%- set reasons = ["nullif(_cast_errors, '')"] -%}
    {%- set restored = leading_zero_columns(source_name, table_name) -%}
    {%- set registered = leading_zero_columns(source_name, table_name, 'registered_in') -%}
    {%- for item in restored -%}
        {%- do reasons.append(leading_zero_ambiguity_reason(item['column'], '_cip_ambiguous_' ~ item['column'])) -%}
    {%- endfor -%}
    {%- for item in registered -%}
        {%- do reasons.append(unregistered_reason(item)) -%}
    {%- endfor -%}
    {%- if execute -%}
        {%- do reasons.extend(contract_reason_expressions(source_name, table_name)) -%}
        {%- set key = source_key_columns(source_name, table_name) -%}
        {%- if key -%}
            {%- do reasons.append("case when count(*) over (partition by " ~ key | join(', ') ~ ") > 1 and row_number() over (partition by " ~ key | join(', ') ~ " order by _source_file) > 1 then 'duplicate key (" ~ key | join(', ') ~ ")' end") -%}
        {%- endif -%}
    {%- endif -%}
    {%- do reasons.extend(extra_reasons) %}
with

raw as (
    {{ read_raw_source(source_name, table_name) }}
),

{% if restored or registered -%}
    {%- set restored_names = restored | map(attribute='column') | list -%}
    {%- for item in restored %}
{{ item['column'] }}_restorations as (
    {{ leading_zero_restorations(leading_zero_register(item), item['register_column']) | indent(4) }}
),
    {% endfor %}
restored as (
    select
        {% for column in contract_column_names(source_name, table_name) -%}
            {% if column in restored_names -%}
                coalesce({{ column }}_restorations.register_value, raw.{{ column }}) as {{ column }},
            {% else -%}
                raw.{{ column }},
            {% endif -%}
        {% endfor -%}
        {% for column in restored_names -%}
            case when {{ column }}_restorations.register_value is not null then raw.{{ column }} end as {{ column }}_as_delivered,
            {{ column }}_restorations.candidates as _cip_ambiguous_{{ column }},
        {% endfor -%}
        {% for item in registered -%}
            {{ item['column'] }}_register.{{ item['register_column'] }} is not null as _cip_registered_{{ item['column'] }},
            {{ item['column'] }}_register_size.register_rows as _cip_register_rows_{{ item['column'] }},
        {% endfor -%}
        raw._cast_errors,
        raw._source_file
    from raw
    {% for column in restored_names -%}
        left join {{ column }}_restorations
            on raw.{{ column }} = {{ column }}_restorations.delivered_value
    {% endfor -%}
    {% for item in registered -%}
        {%- set value = 'coalesce(' ~ item['column'] ~ '_restorations.register_value, raw.' ~ item['column'] ~ ')'
            if item['column'] in restored_names else 'raw.' ~ item['column'] %}
        left join {{ leading_zero_register(item) }} as {{ item['column'] }}_register
            on {{ value }} = {{ item['column'] }}_register.{{ item['register_column'] }}
        cross join (select count(*) as register_rows from {{ leading_zero_register(item) }}) as {{ item['column'] }}_register_size
    {% endfor %}
),

checked as (
    select
        {% for column in contract_column_names(source_name, table_name) -%}
            restored.{{ column }},
        {% endfor -%}
        restored._cast_errors,
        restored._source_file,
        {% for column in restored_names -%}
            restored.{{ column }}_as_delivered,
        {% endfor -%}
        {{ reject_reasons(reasons) }} as _reject_reasons
    from restored
)
{%- else %}
checked as (
    select
        raw.*,
        {{ reject_reasons(reasons) }} as _reject_reasons
    from raw
)
{%- endif %}

select * from checked
{%- endmacro %}
