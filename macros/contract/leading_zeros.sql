{#- Values that lost their leading zeros in a spreadsheet (0012345678 exported as 12345678),
    restored against a register (docs/source_contract.md, "Staging rules"). A contract column
    with meta restore_leading_zeros: <source>.<table>.<column> (declarations, controls, tax
    returns, audits, ... tin: tax.taxpayers.tin) names the register column; its staged model
    (stg_<source>__<table>) is the register. -#}

{#- The contract columns of a table restored against a register: a list of
    {'column', 'source', 'table', 'register_column', 'model'}. meta_key
    'registered_in' gives instead the columns whose values must be in the register. -#}
{% macro leading_zero_columns(source_name, table_name, meta_key='restore_leading_zeros') -%}
    {%- set found = [] -%}
    {%- if not execute -%}{{ return(found) }}{%- endif -%}
    {%- for column in source_contract_node(source_name, table_name).columns.values() -%}
        {%- set spec = contract_meta(column).get(meta_key) -%}
        {%- if spec -%}
            {%- set parts = (spec | string).split('.') -%}
            {%- set model_name = namespace(value=none) -%}
            {%- for source, table, staging_model in raw_source_tables() -%}
                {%- if parts | length == 3 and source == parts[0] and table == parts[1] -%}
                    {%- set model_name.value = staging_model -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if model_name.value is none -%}
                {{ exceptions.raise_compiler_error("Source " ~ source_name ~ "." ~ table_name ~ ", column " ~ column.name
                    ~ ": meta " ~ meta_key ~ " '" ~ spec ~ "' is not <source>.<table>.<column> of a contract table.") }}
            {%- endif -%}
            {%- do found.append({'column': column.name | lower, 'source': parts[0], 'table': parts[1],
                'register_column': parts[2], 'model': model_name.value}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}

{#- The register's staged model as a relation (for restore_leading_zeros or registered_in). ref() at run time needs the dependency known
    at parse time, when the contract is not readable yet: the model declares it with a
    `-- depends_on: {{ ref(...) }}` line; without it the run stops saying so. -#}
{% macro leading_zero_register(restored) -%}
    {%- set node_id = 'model.' ~ project_name ~ '.' ~ restored['model'] -%}
    {%- if node_id not in model.depends_on.nodes -%}
        {{ exceptions.raise_compiler_error("Model " ~ model.name ~ ": column " ~ restored['column']
            ~ " is restored against " ~ restored['source'] ~ "." ~ restored['table'] ~ "." ~ restored['register_column']
            ~ " (contract meta restore_leading_zeros / registered_in), but the model does not depend on " ~ restored['model']
            ~ ". Add this line at its top: -- depends_on: {{ ref('" ~ restored['model'] ~ "') }}") }}
    {%- endif -%}
    {{ return(ref(restored['model'])) }}
{%- endmacro %}

{#- A select of (delivered_value, register_value, candidates): each value that a register
    value with leading zeros strips to, and that is not itself in the register.
    register_value is the one register value when exactly one strips to it (restored);
    else null, and candidates names the lowest and highest of them (ambiguous: quarantined). -#}
{% macro leading_zero_restorations(register, column) -%}
    select
        stripped.delivered_value,
        stripped.register_value,
        stripped.candidates
    from (
        select
            trim(leading '0' from padded.{{ column }}) as delivered_value,
            case when count(*) = 1 then min(padded.{{ column }}) end as register_value,
            case
                when count(*) > 1
                    then concat(cast(count(*) as {{ type_text() }}), ' register values (', min(padded.{{ column }}), ', ', max(padded.{{ column }}), ')')
            end as candidates
        from {{ register }} as padded
        where padded.{{ column }} like '0%'
        group by trim(leading '0' from padded.{{ column }})
    ) as stripped
    left join {{ register }} as unpadded
        on stripped.delivered_value = unpadded.{{ column }}
    where unpadded.{{ column }} is null
{%- endmacro %}

{#- The reason of an ambiguous value (candidates from leading_zero_restorations). -#}
{% macro leading_zero_ambiguity_reason(column, candidates) -%}
    {{ return("case when " ~ candidates ~ " is not null then concat('" ~ column
        ~ " lost its leading zeros? it matches ', " ~ candidates ~ ", ': export " ~ column ~ " as text') end") }}
{%- endmacro %}

{#- The reason of a value absent from a register that holds rows (meta registered_in: a tax
    return of a TIN the register lacks would join no operator); checked_source computes
    _cip_registered_<column> and _cip_register_rows_<column>. An empty or absent register
    checks nothing. -#}
{% macro unregistered_reason(item) -%}
    {%- set column = item['column'] -%}
    {{ return("case when " ~ column ~ " is not null and not _cip_registered_" ~ column ~ " and _cip_register_rows_" ~ column
        ~ " > 0 then '" ~ column ~ " not in the register (" ~ item['source'] ~ "." ~ item['table'] ~ "."
        ~ item['register_column'] ~ ")' end") }}
{%- endmacro %}
