{#- The source contract is the column list declared in models/staging/*/_*__sources.yml.
    These macros read it from the graph so SQL never repeats it. -#}

{% macro source_contract_node(source_name, table_name) -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == source_name and node.name == table_name -%}
            {{ return(node) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("No source " ~ source_name ~ "." ~ table_name ~ " is declared in the source contract.") }}
{%- endmacro %}

{% macro contract_meta(obj) -%}
    {#- graph nodes are dicts; meta may sit under config (dbt >= 1.10) or at the top level -#}
    {%- set meta = {} -%}
    {%- do meta.update(obj.get('meta') or {}) -%}
    {%- do meta.update((obj.get('config') or {}).get('meta') or {}) -%}
    {{ return(meta) }}
{%- endmacro %}

{% macro source_is_optional(source_name, table_name) -%}
    {%- set node = source_contract_node(source_name, table_name) -%}
    {{ return(contract_meta(node).get('optional', false)) }}
{%- endmacro %}

{#- The contract's column names of one table, lower-case, in contract order. -#}
{% macro contract_column_names(source_name, table_name) -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set names = [] -%}
    {%- for column in source_contract_node(source_name, table_name).columns.values() -%}
        {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{% macro source_key_columns(source_name, table_name) -%}
    {%- set node = source_contract_node(source_name, table_name) -%}
    {{ return(contract_meta(node).get('key', [])) }}
{%- endmacro %}

{#- Reject reasons that follow from the contract alone: required values present and
    values inside their allowed list. Returns a list of SQL expressions, each giving a
    reason text or null. -#}
{% macro contract_reason_expressions(source_name, table_name) -%}
    {%- set node = source_contract_node(source_name, table_name) -%}
    {%- set reasons = [] -%}
    {%- for column in node.columns.values() -%}
        {%- set meta = contract_meta(column) -%}
        {%- if meta.get('nullable', true) == false -%}
            {%- do reasons.append("case when " ~ column.name ~ " is null then '" ~ column.name ~ " missing or unreadable' end") -%}
        {%- endif -%}
        {%- if meta.get('allowed') -%}
            {%- set quoted = [] -%}
            {%- for value in meta['allowed'] -%}{%- do quoted.append(sql_string(value)) -%}{%- endfor -%}
            {%- do reasons.append("case when " ~ column.name ~ " is not null and " ~ column.name ~ " not in (" ~ quoted | join(', ') ~ ") then '" ~ column.name ~ " not an allowed value' end") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(reasons) }}
{%- endmacro %}

{#- Joins reason expressions into one text ('' when the row is clean). -#}
{% macro reject_reasons(expressions) -%}
    concat_ws('; ', {{ expressions | join(',\n        ') }})
{%- endmacro %}
