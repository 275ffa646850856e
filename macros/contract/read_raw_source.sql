{#- Reads one raw input of the source contract and returns a select with every contract
    column, typed, plus:
      _cast_errors  text naming the columns whose value could not be read as the
                    contract type ('' when none),
      _source_file  the file the row came from.
    A missing required column stops the run naming the file(s) and the columns.
    A missing optional source yields an empty, well-typed result and a warning.
    DuckDB reads Parquet/CSV files from var('data_dir'); on other engines the raw
    inputs are tables loaded by the administration's loader, read through source(). -#}
{% macro read_raw_source(source_name, table_name) -%}
    {#- Registers the lineage edge source -> model at parse time. -#}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return('select 1 as _parsing') }}
    {%- endif -%}
    {{ return(adapter.dispatch('read_raw_source', 'customs_cip')(source_name, table_name, relation)) }}
{%- endmacro %}

{% macro default__read_raw_source(source_name, table_name, relation) -%}
    {%- set node = source_contract_node(source_name, table_name) -%}
    {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {{ return(_typed_contract_select(node, present, {}, relation, "'" ~ relation ~ "'")) }}
{%- endmacro %}

{% macro duckdb__read_raw_source(source_name, table_name, relation) -%}
    {%- set node = source_contract_node(source_name, table_name) -%}
    {%- set files = raw_source_files(table_name) -%}
    {%- if files | length == 0 -%}
        {%- if contract_meta(node).get('optional', false) -%}
            {{ log("WARNING: optional source " ~ source_name ~ "." ~ table_name ~ " not found in "
                ~ var('data_dir') ~ " (looked for " ~ table_name ~ ".parquet, " ~ table_name ~ "/*.parquet, "
                ~ table_name ~ ".csv); the models and indicators that need it are empty/disabled.", info=True) }}
            {{ return(_empty_contract_select(node)) }}
        {%- else -%}
            {{ exceptions.raise_compiler_error("Required source " ~ source_name ~ "." ~ table_name
                ~ " not found in data_dir '" ~ var('data_dir') ~ "'. Provide " ~ table_name ~ ".parquet, "
                ~ table_name ~ "/*.parquet or " ~ table_name ~ ".csv there (set CIP_DATA_DIR or --vars data_dir),"
                ~ " see docs/source_contract.md.") }}
        {%- endif -%}
    {%- endif -%}
    {%- set parquet = [] -%}
    {%- set csv = [] -%}
    {%- for file in files -%}
        {%- do (parquet if file.endswith('.parquet') else csv).append(file) -%}
    {%- endfor -%}
    {%- if parquet and csv -%}
        {{ exceptions.raise_compiler_error("Source " ~ source_name ~ "." ~ table_name
            ~ " has both Parquet and CSV files in " ~ var('data_dir') ~ ": " ~ files | join(', ') ~ ". Keep one format.") }}
    {%- endif -%}
    {%- set file_list = "['" ~ files | join("', '") ~ "']" -%}
    {%- if parquet -%}
        {%- set reader = "read_parquet(" ~ file_list ~ ", union_by_name = true, filename = '_source_file')" -%}
    {%- else -%}
        {%- set reader = "read_csv(" ~ file_list
            ~ ", header = true, all_varchar = true, union_by_name = true, filename = '_source_file')" -%}
    {%- endif -%}
    {%- set described = run_query("describe select * from " ~ reader) -%}
    {%- set present = {} -%}
    {%- for row in described.rows -%}
        {%- do present.update({row[0] | lower: row[1] | upper}) -%}
    {%- endfor -%}
    {{ return(_typed_contract_select(node, present.keys() | list, present, reader, '_source_file', files)) }}
{%- endmacro %}

{#- Files of one raw table in data_dir, sorted (engine: DuckDB glob). -#}
{% macro raw_source_files(table_name) -%}
    {%- set dir = var('data_dir') | replace('\\', '/') -%}
    {%- set found = run_query(
        "select file from glob('" ~ dir ~ "/" ~ table_name ~ ".parquet')"
        ~ " union all select file from glob('" ~ dir ~ "/" ~ table_name ~ "/*.parquet')"
        ~ " union all select file from glob('" ~ dir ~ "/" ~ table_name ~ ".csv')"
        ~ " order by 1") -%}
    {{ return(found.columns[0].values() | list) }}
{%- endmacro %}

{% macro _typed_contract_select(node, present, present_types, reader, source_file_expr, files=none) -%}
    {%- set missing = [] -%}
    {%- for column in node.columns.values() -%}
        {%- if contract_meta(column).get('required', false) and column.name | lower not in present -%}
            {%- do missing.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error("Source " ~ node.source_name ~ "." ~ node.name ~ ": file(s) "
            ~ (files or [reader]) | join(', ') ~ " lack the required column(s) " ~ missing | join(', ')
            ~ ". Add them (see docs/source_contract.md) or fix the export.") }}
    {%- endif -%}
    {%- set selects = [] -%}
    {%- set cast_checks = [] -%}
    {%- for column in node.columns.values() -%}
        {%- set name = column.name | lower -%}
        {%- set wanted = column.data_type | upper -%}
        {%- if name not in present -%}
            {%- do selects.append("cast(null as " ~ column.data_type ~ ") as " ~ name) -%}
        {%- elif present_types.get(name) == wanted -%}
            {%- do selects.append(name) -%}
        {%- else -%}
            {%- do selects.append(try_cast(name, column.data_type) ~ " as " ~ name) -%}
            {%- do cast_checks.append("case when " ~ name ~ " is not null and " ~ try_cast(name, column.data_type)
                ~ " is null then '" ~ name ~ " unreadable as " ~ column.data_type ~ "' end") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if cast_checks -%}
        {%- do selects.append(reject_reasons(cast_checks) ~ " as _cast_errors") -%}
    {%- else -%}
        {%- do selects.append("'' as _cast_errors") -%}
    {%- endif -%}
    {%- do selects.append("cast(" ~ source_file_expr ~ " as varchar) as _source_file") -%}
    {{ return("select\n        " ~ selects | join(",\n        ") ~ "\n    from " ~ reader) }}
{%- endmacro %}

{% macro _empty_contract_select(node) -%}
    {%- set selects = [] -%}
    {%- for column in node.columns.values() -%}
        {%- do selects.append("cast(null as " ~ column.data_type ~ ") as " ~ column.name | lower) -%}
    {%- endfor -%}
    {%- do selects.append("'' as _cast_errors") -%}
    {%- do selects.append("cast(null as varchar) as _source_file") -%}
    {{ return("select\n        " ~ selects | join(",\n        ") ~ "\n    where 1 = 0") }}
{%- endmacro %}

{#- true when the raw input exists (always true on engines where sources are tables). -#}
{% macro source_is_available(source_name, table_name) -%}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {{ return(adapter.dispatch('source_is_available', 'customs_cip')(source_name, table_name)) }}
{%- endmacro %}

{% macro default__source_is_available(source_name, table_name) -%}
    {{ return(true) }}
{%- endmacro %}

{% macro duckdb__source_is_available(source_name, table_name) -%}
    {{ return(raw_source_files(table_name) | length > 0) }}
{%- endmacro %}

{#- Rows in a raw input, counted straight from the files (Parquet answers from its
    metadata), independently of the typed reader: the left side of the reconciliation
    raw = staged + rejected + superseded. -#}
{% macro raw_row_count(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return('select 0 as raw_rows') }}
    {%- endif -%}
    {{ return(adapter.dispatch('raw_row_count', 'customs_cip')(source_name, table_name, relation)) }}
{%- endmacro %}

{% macro default__raw_row_count(source_name, table_name, relation) -%}
    select count(*) as raw_rows from {{ relation }}
{%- endmacro %}

{% macro duckdb__raw_row_count(source_name, table_name, relation) -%}
    {%- set files = raw_source_files(table_name) -%}
    {%- if files | length == 0 -%}
        select 0 as raw_rows
    {%- elif files[0].endswith('.parquet') -%}
        select count(*) as raw_rows from read_parquet(['{{ files | join("', '") }}'])
    {%- else -%}
        select count(*) as raw_rows from read_csv(['{{ files | join("', '") }}'], header = true, all_varchar = true)
    {%- endif -%}
{%- endmacro %}
