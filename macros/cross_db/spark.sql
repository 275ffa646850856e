{#- Spark (the `spark` target, docs/engines.md): overrides of dbt-spark's own macros where
    Spark's SQL differs from what the project writes, so models stay as they are.
    Spark has no plain `varchar` (it needs a length) and names the 64-bit integer `bigint`,
    text `string`: spark_type() maps the project's type names; the contracts (yml
    data_type), the seeds' column_types and dbt.cast() go through it. -#}
{% macro spark_type(data_type) -%}
    {%- set kind = (data_type | string) | lower | trim -%}
    {%- set names = {'varchar': 'string', 'text': 'string', 'character varying': 'string',
        'double precision': 'double', 'float8': 'double', 'integer': 'int', 'int4': 'int', 'int8': 'bigint'} -%}
    {{ return(names.get(kind, data_type)) }}
{%- endmacro %}

{#- dbt.cast(), and the empty select that checks a model's contract against its yml. -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type(type) }})
{%- endmacro %}

{#- Seeds: column_types as written for DuckDB and Postgres, mapped in place so that the
    table's DDL and the inserts of dbt-spark read Spark types. -#}
{% macro spark__create_csv_table(model, agate_table) -%}
    {%- set column_types = model['config'].get('column_types', {}) -%}
    {%- for name, data_type in column_types.items() -%}
        {%- do column_types.update({name: spark_type(data_type)}) -%}
    {%- endfor -%}
    {{ return(dbt.spark__create_csv_table(model, agate_table)) }}
{%- endmacro %}

{#- dbt-spark's listagg ignores the order: here the values are sorted on the order-by key
    (one column, as the models use it) before they are joined. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error("spark__listagg: limit_num is not supported") }}
    {%- endif -%}
    {%- if order_by_clause -%}
        {%- set key = order_by_clause | trim -%}
        {%- if key[:8] | lower == 'order by' -%}{%- set key = key[8:] | trim -%}{%- endif -%}
        {%- if ',' in key or ' ' in key -%}
            {{ exceptions.raise_compiler_error("spark__listagg orders on one column (ascending): " ~ order_by_clause) }}
        {%- endif -%}
        array_join(transform(array_sort(collect_list(struct({{ key }} as sort_key, {{ measure }} as listed))),
            entry -> entry.listed), {{ delimiter_text }})
    {%- else -%}
        array_join(collect_list({{ measure }}), {{ delimiter_text }})
    {%- endif -%}
{%- endmacro %}

{#- Seeds' rows: dbt-spark's session mode pastes bindings into the SQL unescaped, so a value
    with an apostrophe (the operator's ...) breaks the insert; the values are written here as
    escaped literals. -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set column_types = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set rows = [] -%}
        {%- for row in chunk -%}
            {%- set values = [] -%}
            {%- for name in agate_table.column_names -%}
                {%- set data_type = spark_type(column_types.get(name, adapter.convert_type(agate_table, loop.index0))) -%}
                {%- set value = row[loop.index0] -%}
                {%- if value is none -%}
                    {%- do values.append('cast(null as ' ~ data_type ~ ')') -%}
                {%- else -%}
                    {%- set text = (value | string).replace('\\', '\\\\').replace("'", "\\'") -%}
                    {%- do values.append("cast('" ~ text ~ "' as " ~ data_type ~ ")") -%}
                {%- endif -%}
            {%- endfor -%}
            {%- do rows.append('(' ~ values | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' values\n' ~ rows | join(',\n') -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{%- endmacro %}
