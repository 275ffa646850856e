{#- The declaration columns every line of one declaration must share: those whose source
    contract meta says per_declaration (tin, flow, declaration_date, ...). Read from the
    contract, so a column marked there is checked without a model change. -#}
{% macro declaration_header_columns() -%}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- for column in source_contract_node('customs', 'declarations').columns.values() -%}
            {%- if contract_meta(column).get('per_declaration', false) -%}
                {%- do columns.append(column.name | lower) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {%- do columns.extend(['tin', 'flow', 'declaration_date']) -%}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}

{#- One reason per header column for the grouped rows of a declaration: null when its
    lines agree, else `declaration lines disagree on <column> (<lowest>, <highest>)`, or
    `(none, <value>)` when some lines leave it empty (a broker on one line only). -#}
{% macro header_disagreement_reasons(columns) -%}
    {%- set reasons = [] -%}
    {%- for column in columns -%}
        {%- set low = "cast(min(" ~ column ~ ") as " ~ type_text() ~ ")" -%}
        {%- set high = "cast(max(" ~ column ~ ") as " ~ type_text() ~ ")" -%}
        {%- do reasons.append("case when min(" ~ column ~ ") <> max(" ~ column ~ ")"
            ~ " then concat('declaration lines disagree on " ~ column ~ " (', " ~ low ~ ", ', ', " ~ high ~ ", ')')"
            ~ " when count(" ~ column ~ ") > 0 and count(" ~ column ~ ") < count(*)"
            ~ " then concat('declaration lines disagree on " ~ column ~ " (none, ', " ~ low ~ ", ')') end") -%}
    {%- endfor -%}
    {{ return(reasons) }}
{%- endmacro %}
