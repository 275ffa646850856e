{#- The body of a base_ model: the raw rows of one source table, typed, with
    _reject_reasons ('' for a clean row) built from the cast errors, the contract
    (required values, allowed lists), a duplicate-key check and the model's own
    extra rules (SQL expressions giving a reason text or null). -#}
{% macro checked_source(source_name, table_name, extra_reasons=[]) -%}
    {%- set reasons = ["nullif(_cast_errors, '')"] -%}
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

checked as (
    select
        raw.*,
        {{ reject_reasons(reasons) }} as _reject_reasons
    from raw
)

select * from checked
{%- endmacro %}
