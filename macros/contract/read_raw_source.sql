{#- Reads one raw input of the source contract and returns a select with every contract
    column, typed and normalised, plus:
      _cast_errors  the reader's reject reasons ('' when none): first a CSV record that does
                    not fit its header (_cip_record_error, raw_csv_reader), then a value unreadable as the
                    contract type, a fractional integer, a NaN / infinite / absurd number,
                    a date after the load date or before the earliest date,
      _source_file  the file the row came from, relative to the data folder (so a build
                    with an absolute and one with a relative data_dir agree, issue 16),
      _source_file_version (with_file_versions only) size, modification time and MD5 of
                    the file, to notice a loaded file that changed.
    Normalisation (docs/source_contract.md, "Staging rules"): text is trimmed and ''
    becomes null; columns with meta normalize: upper are upper-cased; a value of an
    allowed list is matched in the list's case; integral numbers read into a text column
    lose their '.0'; timestamps become dates in UTC.
    Stops (compile errors naming the file and column): a required column missing from a
    file, a column twice in a file (names differ only in case), a required source with no
    rows, a column whose type cannot hold the contract type (numbers for a date, e.g.
    Excel serial dates).
    A missing optional source yields an empty, well-typed result and a warning.
    key_filter (optional): keep only the rows whose typed key is in a small set, before
    the typed projection is computed: {'columns': [...], 'hashes': 'select <hash> from
    <cte>'}, the hashes being hash_key() of the same columns. A WHERE beside the raw
    reader, so the engine filters first and types the few kept rows only (issue 13).
    DuckDB reads Parquet/CSV files from var('data_dir'); on other engines the raw
    inputs are tables loaded by the administration's loader, read through source(). -#}
{% macro read_raw_source(source_name, table_name, exclude_files=[], with_file_versions=false, key_filter=none) -%}
    {#- Registers the lineage edge source -> model at parse time. -#}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return('select 1 as _parsing') }}
    {%- endif -%}
    {%- set reader = adapter.dispatch('read_raw_source', 'customs_cip') -%}
    {{ return(reader(source_name, table_name, relation, exclude_files, with_file_versions, key_filter)) }}
{%- endmacro %}

{#- Other engines: the raw input is a table loaded by `cip load` (scripts/cip/load.py),
    columns named and typed as exported, plus _cip_source_file (the file each row came
    from). The same stops, warnings and quarantine rules as the DuckDB file reader. -#}
{% macro default__read_raw_source(source_name, table_name, relation, exclude_files, with_file_versions, key_filter=none) -%}
    {%- set node = source_contract_node(source_name, table_name) -%}
    {%- set label = source_name ~ "." ~ table_name -%}
    {%- set present = {} -%}
    {%- set has_file_column = namespace(value=false) -%}
    {%- set record_error = namespace(expr=none) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) -%}
    {%- if columns | length == 0 -%}
        {%- if contract_meta(node).get('optional', false) -%}
            {{ log("WARNING: optional source " ~ label ~ " not found (no table " ~ relation
                ~ "; `cip load` found no " ~ table_name ~ ".parquet, " ~ table_name ~ "/*.parquet or "
                ~ table_name ~ ".csv); the models and indicators that need it are empty/disabled.", info=True) }}
            {{ return(_empty_contract_select(node, with_file_versions)) }}
        {%- else -%}
            {{ exceptions.raise_compiler_error("Required source " ~ label ~ " not found: no table " ~ relation
                ~ ". Load the raw files with `cip load --target " ~ target.type ~ " --data DIR` (" ~ table_name
                ~ ".parquet, " ~ table_name ~ "/*.parquet or " ~ table_name ~ ".csv in DIR), see docs/engines.md"
                ~ " and docs/source_contract.md.") }}
        {%- endif -%}
    {%- endif -%}
    {%- for column in columns -%}
        {%- if column.name | lower == '_cip_source_file' -%}
            {%- set has_file_column.value = true -%}
        {%- elif column.name | lower == '_cip_record_error' -%}
            {%- set record_error.expr = adapter.quote(column.name) -%}
        {%- else -%}
            {%- do present.update({contract_column_key(column.name): {'name': column.name, 'type': raw_type_name(column.dtype)}}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set types = {} -%}
    {%- for name, found in present.items() -%}{%- do types.update({name: found['type']}) -%}{%- endfor -%}
    {%- set has_rows = run_query("select count(*) from (select 1 from " ~ relation ~ " limit 1) as any_row").rows[0][0] -%}
    {%- set schemas = {(relation | string): {'columns': present.keys() | list, 'types': types, 'rows': has_rows}} -%}
    {%- do _check_file_schemas(node, schemas) -%}
    {%- do _check_column_types(node, present, schemas) -%}
    {%- set source_file_expr = '_cip_source_file' if has_file_column.value else sql_string(relation) -%}
    {%- set version_expr = sql_string('table') if with_file_versions else none -%}
    {{ return(_typed_contract_select(node, present, relation, source_file_expr, version_expr, key_filter, record_error.expr)) }}
{%- endmacro %}

{#- A raw column's type from the catalogue, in the DuckDB names the contract rules use. -#}
{% macro raw_type_name(dtype) -%}
    {%- set kind = dtype | lower -%}
    {%- set names = {'double precision': 'DOUBLE', 'float8': 'DOUBLE', 'real': 'FLOAT', 'float4': 'FLOAT',
        'text': 'VARCHAR', 'character varying': 'VARCHAR', 'varchar': 'VARCHAR', 'string': 'VARCHAR',
        'smallint': 'SMALLINT', 'int2': 'SMALLINT', 'integer': 'INTEGER', 'int': 'INTEGER', 'int4': 'INTEGER',
        'bigint': 'BIGINT', 'int8': 'BIGINT', 'boolean': 'BOOLEAN', 'bool': 'BOOLEAN', 'date': 'DATE',
        'timestamp without time zone': 'TIMESTAMP', 'timestamp': 'TIMESTAMP',
        'timestamp with time zone': 'TIMESTAMPTZ', 'timestamptz': 'TIMESTAMPTZ'} -%}
    {%- if kind in names -%}{{ return(names[kind]) }}{%- endif -%}
    {%- if kind.startswith('numeric') or kind.startswith('decimal') -%}{{ return('DECIMAL') }}{%- endif -%}
    {%- if kind.startswith('character varying') or kind.startswith('varchar') -%}{{ return('VARCHAR') }}{%- endif -%}
    {{ return(dtype | upper) }}
{%- endmacro %}

{#- The engine's type of a contract data_type (the contract says double; Postgres says
    double precision: type_double()). -#}
{% macro contract_type(data_type) -%}
    {%- if data_type | lower == 'double' -%}{{ return(type_double()) }}{%- endif -%}
    {%- if data_type | lower == 'varchar' -%}{{ return(type_text()) }}{%- endif -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro duckdb__read_raw_source(source_name, table_name, relation, exclude_files, with_file_versions, key_filter=none) -%}
    {%- set node = source_contract_node(source_name, table_name) -%}
    {%- set files = raw_source_files(table_name) -%}
    {%- set label = source_name ~ "." ~ table_name -%}
    {%- if files | length == 0 -%}
        {%- if contract_meta(node).get('optional', false) -%}
            {{ log("WARNING: optional source " ~ label ~ " not found in "
                ~ var('data_dir') ~ " (looked for " ~ table_name ~ ".parquet, " ~ table_name ~ "/*.parquet, "
                ~ table_name ~ ".csv, " ~ table_name ~ ".csv.gz); the models and indicators that need it are empty/disabled.", info=True) }}
            {{ return(_empty_contract_select(node, with_file_versions)) }}
        {%- else -%}
            {%- set near = raw_near_files(table_name) -%}
            {{ exceptions.raise_compiler_error("Required source " ~ label
                ~ " not found in data_dir '" ~ var('data_dir') ~ "'"
                ~ (": it holds " ~ near | join(', ') ~ ", not a name or format the reader takes" if near else "")
                ~ ". Provide " ~ table_name ~ ".parquet, "
                ~ table_name ~ "/*.parquet, " ~ table_name ~ ".csv or " ~ table_name ~ ".csv.gz there (set CIP_DATA_DIR or --vars data_dir),"
                ~ " see docs/source_contract.md.") }}
        {%- endif -%}
    {%- endif -%}
    {%- set parquet = [] -%}
    {%- set csv = [] -%}
    {%- for file in files -%}
        {%- do (parquet if file.endswith('.parquet') else csv).append(file) -%}
    {%- endfor -%}
    {%- if parquet and csv -%}
        {{ exceptions.raise_compiler_error("Source " ~ label
            ~ " has both Parquet and CSV files in " ~ var('data_dir') ~ ": " ~ files | join(', ') ~ ". Keep one format.") }}
    {%- endif -%}
    {%- set schemas = raw_file_schemas(files) -%}
    {%- do _check_file_schemas(node, schemas) -%}
    {%- if schemas.values() | map(attribute='rows') | sum == 0 -%}
        {#- an optional source whose files hold a header only or nothing (0 bytes): warned above,
            read as absent (a 0-byte file has no columns to read) -#}
        {{ return(_empty_contract_select(node, with_file_versions)) }}
    {%- endif -%}
    {%- set reading = [] -%}
    {%- for file in files -%}
        {%- if raw_file_relative(file) not in exclude_files -%}{%- do reading.append(file) -%}{%- endif -%}
    {%- endfor -%}
    {%- if not reading -%}
        {{ return(_empty_contract_select(node, with_file_versions)) }}
    {%- endif -%}
    {%- set reader = raw_file_reader(reading) -%}
    {%- set described = run_query("describe select * from " ~ reader) -%}
    {%- set present = {} -%}
    {%- set record_error = namespace(expr=none) -%}
    {%- for row in described.rows -%}
        {%- if row[0] | lower == '_cip_record_error' -%}
            {%- set record_error.expr = adapter.quote(row[0]) -%}
        {%- elif row[0] != '_cip_raw_file' -%}
            {%- set key = contract_column_key(row[0]) -%}
            {%- if key in present -%}
                {#- files of a folder spell the column differently (`tin`, ` TIN `): the reader's
                    union by name keeps both, each null in the other files; one value per row -#}
                {%- set earlier = present[key] -%}
                {%- set same_type = earlier['type'] == row[1] | upper -%}
                {%- set parts = [earlier.get('expr') or adapter.quote(earlier['name']), adapter.quote(row[0])] -%}
                {%- if not same_type -%}
                    {%- set parts = ["cast(" ~ (earlier.get('expr') or adapter.quote(earlier['name'])) ~ " as varchar)",
                        "cast(" ~ adapter.quote(row[0]) ~ " as varchar)"] -%}
                {%- endif -%}
                {%- do present.update({key: {'name': earlier['name'], 'type': earlier['type'] if same_type else 'VARCHAR',
                    'expr': "coalesce(" ~ parts | join(', ') ~ ")"}}) -%}
            {%- else -%}
                {%- do present.update({key: {'name': row[0], 'type': row[1] | upper}}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do _check_column_types(node, present, schemas) -%}
    {%- set prefix_length = (raw_data_dir() ~ '/') | length -%}
    {%- set source_file_expr = "substr(_cip_raw_file, " ~ (prefix_length + 1) ~ ")" -%}
    {%- set version_expr = none -%}
    {%- if with_file_versions -%}
        {%- set versions = raw_file_versions(reading) -%}
        {%- set version_rows = [] -%}
        {%- for file in reading -%}
            {%- do version_rows.append("(" ~ sql_string(file) ~ ", " ~ sql_string(versions[file]) ~ ")") -%}
        {%- endfor -%}
        {%- set reader = reader ~ " as raw_file left join (values " ~ version_rows | join(', ')
            ~ ") as cip_file_versions (cip_file_path, cip_file_version) on raw_file._cip_raw_file = cip_file_versions.cip_file_path" -%}
        {%- set version_expr = "cip_file_versions.cip_file_version" -%}
    {%- endif -%}
    {{ return(_typed_contract_select(node, present, reader, source_file_expr, version_expr, key_filter, record_error.expr)) }}
{%- endmacro %}

{#- The contract name a raw column answers to: case, surrounding spaces and runs of inner
    spaces do not matter (`Declaration_ID `, `declaration id` and `DECLARATION_ID` are
    declaration_id); a BOM glued to the first name is dropped. -#}
{% macro contract_column_key(name) -%}
    {{ return((name | string).replace('\ufeff', '').lower().split() | join('_')) }}
{%- endmacro %}

{#- The data folder as the file paths spell it (forward slashes, no trailing slash). -#}
{% macro raw_data_dir() -%}
    {%- set dir = (var('data_dir') | string) | replace('\\', '/') -%}
    {%- if dir | length > 1 -%}{%- set dir = dir.rstrip('/') -%}{%- endif -%}
    {{ return(dir) }}
{%- endmacro %}

{#- A raw file's path relative to the data folder (what _source_file holds). -#}
{% macro raw_file_relative(file) -%}
    {%- set prefix = raw_data_dir() ~ '/' -%}
    {{ return(file[prefix | length:] if file.startswith(prefix) else file) }}
{%- endmacro %}

{#- Files of one raw table in data_dir, sorted (engine: DuckDB glob). -#}
{% macro raw_source_files(table_name) -%}
    {%- set dir = raw_data_dir() -%}
    {%- set found = run_query(
        "select file from glob(" ~ sql_string(dir ~ "/" ~ table_name ~ ".parquet") ~ ")"
        ~ " union all select file from glob(" ~ sql_string(dir ~ "/" ~ table_name ~ "/*.parquet") ~ ")"
        ~ " union all select file from glob(" ~ sql_string(dir ~ "/" ~ table_name ~ ".csv") ~ ")"
        ~ " union all select file from glob(" ~ sql_string(dir ~ "/" ~ table_name ~ ".csv.gz") ~ ")"
        ~ " order by 1") -%}
    {{ return(found.columns[0].values() | list) }}
{%- endmacro %}

{#- Files of the data folder whose name starts with the table's name in any case but that the
    reader does not take (country_risk.xlsx, Country_Risk.CSV, country_risk.csv.zip): named
    when the source is missing, so the error says which file to convert or rename. -#}
{% macro raw_near_files(table_name) -%}
    {%- set dir = raw_data_dir() -%}
    {%- set found = run_query("select file from glob(" ~ sql_string(dir ~ "/*") ~ ") where starts_with(lower(parse_filename(file)), "
        ~ sql_string(table_name | lower) ~ ") order by 1 limit 5") -%}
    {%- set names = [] -%}
    {%- for file in found.columns[0].values() -%}{%- do names.append(raw_file_relative(file)) -%}{%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{% macro _file_list_sql(files) -%}
    {%- set quoted = [] -%}
    {%- for file in files -%}{%- do quoted.append(sql_string(file)) -%}{%- endfor -%}
    {{ return("[" ~ quoted | join(', ') ~ "]") }}
{%- endmacro %}

{#- The table function reading the files: read_parquet, or for a CSV (one file per table)
    raw_csv_reader's select, every value as text plus _cip_record_error. -#}
{% macro raw_file_reader(files) -%}
    {%- if files[0].endswith('.parquet') -%}
        {{ return("read_parquet(" ~ _file_list_sql(files) ~ ", union_by_name = true, filename = '_cip_raw_file')") }}
    {%- else -%}
        {%- set scans = [] -%}
        {%- for file in files -%}
            {%- do scans.append(raw_csv_reader(file, raw_csv_dialect(file))) -%}
        {%- endfor -%}
        {{ return("(" ~ scans | join(" union all by name ") ~ ")") }}
    {%- endif -%}
{%- endmacro %}

{#- A CSV file's dialect, from its header line alone: DuckDB's sniffer also samples the data
    rows, and one malformed record (a field too many, another delimiter) makes it fall back to
    a single column named by the whole header line. The delimiter is whichever of , ; tab |
    the header line holds most often (',' when none); the column names are the header's
    fields, parsed as CSV with that delimiter (quotes '"'); an empty name becomes column<N>.
    Returns {'delimiter': ..., 'columns': [...]}; no columns when the file has no line. -#}
{% macro raw_csv_dialect(file) -%}
    {%- set encoding = raw_csv_encoding(file) -%}
    {%- set first = run_query("select line from read_csv(" ~ sql_string(file) ~ ", auto_detect = false, header = false,"
        ~ " columns = {'line': 'VARCHAR'}, delim = chr(0), quote = '', escape = '', strict_mode = false, parallel = false,"
        ~ " encoding = " ~ sql_string(encoding) ~ ") limit 1") -%}
    {%- if first.rows | length == 0 or first.rows[0][0] is none -%}
        {{ return({'delimiter': ',', 'columns': [], 'encoding': encoding}) }}
    {%- endif -%}
    {%- set line = first.rows[0][0].lstrip('\ufeff') -%}
    {%- set best = namespace(delimiter=',', count=0) -%}
    {%- for candidate in [',', ';', '\t', '|'] -%}
        {%- if line.count(candidate) > best.count -%}
            {%- set best.delimiter = candidate -%}
            {%- set best.count = line.count(candidate) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set fields = [] -%}
    {%- for position in range(1, best.count + 2) -%}
        {%- do fields.append("'_cip_f" ~ position ~ "': 'VARCHAR'") -%}
    {%- endfor -%}
    {%- set parsed = run_query("select * from read_csv(" ~ sql_string(file) ~ ", " ~ _csv_options(best.delimiter, encoding)
        ~ ", header = false, columns = {" ~ fields | join(', ') ~ "}) limit 1") -%}
    {%- set names = [] -%}
    {%- for value in parsed.rows[0] -%}
        {%- if value is not none -%}
            {%- set name = value | trim -%}
            {%- do names.append(name if name else 'column' ~ loop.index) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return({'delimiter': best.delimiter, 'columns': names, 'encoding': encoding}) }}
{%- endmacro %}

{#- A CSV file's text encoding: UTF-16 when it starts with a byte order mark (Excel's "Unicode
    text"), else var csv_encoding (utf-8, or latin-1 for an ISO-8859-1 export). DuckDB's latin-1
    and UTF-16 decoders reject bytes 0x80-0x9F, which UTF-8 text holds ('€', Cyrillic, Chinese),
    so the probe reads the first two lines as UTF-8 with ignore_errors: a UTF-16 file (every line
    holds NUL bytes) reads null lines, any other file text or nothing, and the probe never fails.
    Only then is the first line read as UTF-16, to tell little-endian (read) from big-endian
    (which DuckDB cannot decode: stops). -#}
{% macro raw_csv_encoding(file) -%}
    {%- set probe = run_query("select line from read_csv(" ~ sql_string(file) ~ ", auto_detect = false, header = false,"
        ~ " columns = {'line': 'VARCHAR'}, delim = chr(0), quote = '', escape = '', strict_mode = false, parallel = false,"
        ~ " ignore_errors = true, encoding = 'utf-8') limit 2") -%}
    {%- if none in probe.columns[0].values() -%}
        {%- set first = run_query("select line from read_csv(" ~ sql_string(file) ~ ", auto_detect = false, header = false,"
            ~ " columns = {'line': 'VARCHAR'}, delim = chr(0), quote = '', escape = '', strict_mode = false, parallel = false,"
            ~ " encoding = 'utf-16') limit 1") -%}
        {%- set head = (first.rows[0][0] or '') if first.rows | length > 0 else '' -%}
        {%- if head[:1] == '\ufffe' -%}
            {{ exceptions.raise_compiler_error("CSV file " ~ file ~ " is UTF-16 big-endian, which the reader cannot decode."
                ~ " Save it as UTF-8 (or UTF-16 little-endian), see docs/source_contract.md.") }}
        {%- endif -%}
        {{ return('utf-16') }}
    {%- endif -%}
    {{ return(cip_csv_encoding_var()) }}
{%- endmacro %}

{#- Var csv_encoding, checked: the encodings DuckDB's CSV reader decodes. -#}
{% macro cip_csv_encoding_var() -%}
    {%- set value = (var('csv_encoding', 'utf-8') | string | trim | lower).replace('_', '-') -%}
    {%- set value = {'utf8': 'utf-8', 'latin1': 'latin-1', 'iso-8859-1': 'latin-1', 'utf16': 'utf-16'}.get(value, value) -%}
    {%- if value not in ('utf-8', 'latin-1', 'utf-16') -%}
        {{ _var_error('csv_encoding', var('csv_encoding'), "one of utf-8, latin-1, utf-16", "latin-1") }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- The read_csv options of every CSV read after the header: the dialect fixed (no sniffing),
    quotes and escapes '"' (RFC 4180), every value text, a missing field padded with null
    while an empty field reads '' (nullstr chr(0) never occurs in text), structurally wrong
    records read rather than stopping the scan (strict_mode off), one thread (DuckDB's
    parallel scanner cannot pad records beside quoted line breaks). -#}
{% macro _csv_options(delimiter, encoding='utf-8') -%}
    {{ return("auto_detect = false, delim = " ~ sql_string(delimiter) ~ ", quote = '\"', escape = '\"',"
        ~ " null_padding = true, nullstr = chr(0), strict_mode = false, parallel = false, encoding = " ~ sql_string(encoding)) }}
{%- endmacro %}

{#- The fields of a CSV file by position: one per header column, plus one spare that is
    non-null only in a record with more fields than the header. -#}
{% macro _csv_scan(file, dialect) -%}
    {%- set fields = [] -%}
    {%- for name in dialect['columns'] -%}
        {%- do fields.append("'_cip_f" ~ loop.index ~ "': 'VARCHAR'") -%}
    {%- endfor -%}
    {%- do fields.append("'_cip_f_extra': 'VARCHAR'") -%}
    {{ return("read_csv(" ~ sql_string(file) ~ ", " ~ _csv_options(dialect['delimiter'], dialect.get('encoding', 'utf-8')) ~ ", header = true, columns = {"
        ~ fields | join(', ') ~ "}, filename = '_cip_raw_file')") }}
{%- endmacro %}

{#- One CSV file as a select: its header's columns (text), _cip_record_error and _cip_raw_file.
    _cip_record_error names a record whose values would sit in the wrong columns, quarantined
    rather than staged: more or fewer fields than the header (an unquoted delimiter in a
    value, a record written with another delimiter), or a value holding a line break followed
    by a whole record (a quote left open joined the next records into this one). -#}
{% macro raw_csv_reader(file, dialect) -%}
    {%- set selects = [] -%}
    {%- set joined = [] -%}
    {%- set width = dialect['columns'] | length -%}
    {%- set separator = '\\|' if dialect['delimiter'] == '|' else dialect['delimiter'] -%}
    {%- set pattern = sql_string("\\n[^\\n]*(?:" ~ separator ~ "[^\\n]*){" ~ [width - 1, 1] | max ~ "}") -%}
    {%- set again = [] -%}
    {%- for name in dialect['columns'] -%}
        {%- set field = "_cip_f" ~ loop.index -%}
        {%- do selects.append(field ~ " as " ~ adapter.quote(name)) -%}
        {%- do joined.append("(contains(" ~ field ~ ", chr(10)) and regexp_matches(" ~ field ~ ", " ~ pattern ~ "))") -%}
        {%- do again.append("trim(replace(" ~ field ~ ", chr(65279), '')) = " ~ sql_string(name)) -%}
    {%- endfor -%}
    {%- set reasons = ["when _cip_f_extra is not null then 'CSV record has more fields than the header'"] -%}
    {%- if width > 0 -%}
        {%- do reasons.insert(0, "when " ~ joined | join(' or ') ~ " then 'CSV record holds a line break and a whole record"
            ~ " in one value (a quote left open joined the next records into it)'") -%}
        {#- every field the header's name: a second export appended with its header line -#}
        {%- do reasons.insert(1, "when " ~ again | join(' and ') ~ " then 'CSV record repeats the header line"
            ~ " (exports joined into one file: remove the repeated header)'") -%}
        {%- do reasons.append("when _cip_f" ~ width ~ " is null then 'CSV record has fewer fields than the header'") -%}
    {%- endif -%}
    {%- do selects.append("case " ~ reasons | join(' ') ~ " end as _cip_record_error") -%}
    {%- do selects.append("_cip_raw_file") -%}
    {{ return("select " ~ selects | join(', ') ~ " from " ~ _csv_scan(file, dialect)) }}
{%- endmacro %}

{#- Per file: its columns (name -> type, as read) and whether it holds rows. Parquet
    answers from the footers; a CSV from its header line (raw_csv_dialect) and first record. -#}
{% macro raw_file_schemas(files) -%}
    {%- set schemas = {} -%}
    {%- for file in files -%}
        {%- do schemas.update({file: {'columns': [], 'types': {}, 'rows': 0}}) -%}
    {%- endfor -%}
    {%- if files[0].endswith('.parquet') -%}
        {%- set described = run_query("select file_name, name, coalesce(logical_type, converted_type, type, '') from parquet_schema("
            ~ _file_list_sql(files) ~ ") where num_children is null") -%}
        {%- for row in described.rows -%}
            {%- do schemas[row[0]]['columns'].append(row[1]) -%}
            {%- do schemas[row[0]]['types'].update({contract_column_key(row[1]): row[2] | upper}) -%}
        {%- endfor -%}
        {%- set counted = run_query("select file_name, num_rows from parquet_file_metadata(" ~ _file_list_sql(files) ~ ")") -%}
        {%- for row in counted.rows -%}
            {%- do schemas[row[0]].update({'rows': row[1]}) -%}
        {%- endfor -%}
    {%- else -%}
        {%- for file in files -%}
            {%- set dialect = raw_csv_dialect(file) -%}
            {%- for name in dialect['columns'] -%}
                {%- do schemas[file]['columns'].append(name) -%}
                {%- do schemas[file]['types'].update({contract_column_key(name): 'VARCHAR'}) -%}
            {%- endfor -%}
            {%- if dialect['columns'] -%}
                {%- set counted = run_query("select count(*) from (select 1 from " ~ _csv_scan(file, dialect) ~ " limit 1)") -%}
                {%- do schemas[file].update({'rows': counted.rows[0][0]}) -%}
            {%- else -%}
                {%- do schemas[file].update({'no_header': true}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(schemas) }}
{%- endmacro %}

{#- Size, modification time and MD5 of each file, as one text per file. -#}
{% macro raw_file_versions(files) -%}
    {%- set versions = {} -%}
    {%- set found = run_query("select filename, size, strftime(last_modified at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%f'), md5(content)"
        ~ " from read_blob(" ~ _file_list_sql(files) ~ ")") -%}
    {%- for row in found.rows -%}
        {%- do versions.update({row[0]: "size=" ~ row[1] ~ ";mtime=" ~ row[2] ~ ";md5=" ~ row[3]}) -%}
    {%- endfor -%}
    {{ return(versions) }}
{%- endmacro %}

{#- Stops on: a required column missing in a file, a column twice in a file (names that
    differ only in case), a required source whose files hold no rows. Warns when an
    optional column is in some files of a folder and not in others, or a file is empty. -#}
{% macro _check_file_schemas(node, schemas) -%}
    {%- set label = node.source_name ~ "." ~ node.name -%}
    {%- set problems = [] -%}
    {%- set optional_in = {} -%}
    {%- set empty = [] -%}
    {%- set total = namespace(rows=0) -%}
    {%- for file, schema in schemas.items() -%}
        {%- set lowered = [] -%}
        {%- for column in schema['columns'] -%}{%- do lowered.append(contract_column_key(column)) -%}{%- endfor -%}
        {%- for name in lowered | unique -%}
            {%- if lowered.count(name) > 1 -%}
                {%- set spellings = [] -%}
                {%- for column in schema['columns'] -%}
                    {%- if contract_column_key(column) == name -%}{%- do spellings.append(column) -%}{%- endif -%}
                {%- endfor -%}
                {%- do problems.append(file ~ " has the column " ~ name ~ " twice"
                    ~ (" (names differ only in case or spaces)" if spellings | unique | list | length > 1 else "") ~ ": keep one") -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set missing = [] -%}
        {%- for column in node.columns.values() if not schema.get('no_header', false) -%}
            {%- if column.name | lower not in lowered -%}
                {%- if contract_meta(column).get('required', false) -%}
                    {%- do missing.append(column.name) -%}
                {%- else -%}
                    {%- do optional_in.setdefault(column.name, []).append(file) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if missing -%}
            {%- do problems.append(file ~ " lacks the required column(s) " ~ missing | join(', ')) -%}
        {%- endif -%}
        {%- if schema['rows'] == 0 -%}{%- do empty.append(file) -%}{%- endif -%}
        {%- set total.rows = total.rows + schema['rows'] -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("Source " ~ label ~ ": " ~ problems | join('; ')
            ~ ". Add the column(s) to the export (see docs/source_contract.md) or remove the file from "
            ~ (raw_data_dir() if target.type == 'duckdb' else "the data folder, then load it again (cip load --target " ~ target.type ~ ")")
            ~ ".") }}
    {%- endif -%}
    {%- if total.rows == 0 -%}
        {%- if contract_meta(node).get('optional', false) -%}
            {{ log("WARNING: optional source " ~ label ~ " has no rows (file(s) " ~ empty | join(', ')
                ~ " hold a header only or nothing); the models that need it are empty.", info=True) }}
        {%- else -%}
            {{ exceptions.raise_compiler_error("Required source " ~ label ~ " has no rows: file(s) " ~ empty | join(', ')
                ~ " hold a header only (or nothing). Export the rows again (see docs/source_contract.md).") }}
        {%- endif -%}
    {%- elif empty -%}
        {{ log("WARNING: source " ~ label ~ ": file(s) " ~ empty | join(', ') ~ " hold no rows.", info=True) }}
    {%- endif -%}
    {%- if schemas | length > 1 -%}
        {%- for name, lacking in optional_in.items() -%}
            {%- if lacking | length < schemas | length -%}
                {{ log("WARNING: source " ~ label ~ ": optional column " ~ name ~ " is absent from " ~ lacking | join(', ')
                    ~ " but present in the other files; it is null for the rows of those files.", info=True) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- Stops when a column's type in the files cannot hold the contract type: numbers for a
    date (Excel serial dates), dates or booleans for a number, dates for a boolean, numbers
    for a code whose leading zeros matter (meta text_only: reference codes, which nothing
    could restore). -#}
{% macro _check_column_types(node, present, schemas) -%}
    {%- set numeric = ['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER',
        'UBIGINT', 'UHUGEINT', 'FLOAT', 'DOUBLE', 'REAL'] -%}
    {%- for column in node.columns.values() -%}
        {%- set name = column.name | lower -%}
        {%- set wanted = column.data_type | upper -%}
        {%- if name in present -%}
            {%- set found = present[name]['type'] -%}
            {%- set is_number = found in numeric or found.startswith('DECIMAL') -%}
            {%- set is_temporal = found.startswith('DATE') or found.startswith('TIMESTAMP') or found.startswith('TIME') -%}
            {%- set text_only = wanted == 'VARCHAR' and is_number and contract_meta(column).get('text_only', false) -%}
            {%- set bad = text_only or (wanted == 'DATE' and (is_number or found == 'BOOLEAN'))
                or (wanted in ('DOUBLE', 'INTEGER') and (is_temporal or found == 'BOOLEAN'))
                or (wanted == 'BOOLEAN' and is_temporal) -%}
            {%- if bad -%}
                {%- set culprits = [] -%}
                {%- for file, schema in schemas.items() -%}
                    {%- set file_type = schema['types'].get(name, '') -%}
                    {%- if not ('UTF8' in file_type or 'STRING' in file_type or file_type == 'VARCHAR'
                        or (wanted == 'DATE' and ('DATE' in file_type or 'TIMESTAMP' in file_type))) -%}
                        {%- do culprits.append(file ~ " (" ~ file_type ~ ")") -%}
                    {%- endif -%}
                {%- endfor -%}
                {{ exceptions.raise_compiler_error("Source " ~ node.source_name ~ "." ~ node.name ~ ": column " ~ name
                    ~ " is " ~ found ~ " in " ~ (culprits or schemas.keys() | list) | join(', ') ~ ", which cannot hold a "
                    ~ column.data_type ~ (" (Excel serial dates?)" if wanted == 'DATE' and is_number else "")
                    ~ (" without losing leading zeros" if text_only else "")
                    ~ ". Export it as a " ~ column.data_type
                    ~ (" (Parquet DATE, or text YYYY-MM-DD)" if wanted == 'DATE' else "") ~ ", see docs/source_contract.md.") }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{#- Var null_markers as a SQL list of text literals ('' when the list is empty): the values
    an export writes for a missing value, read as null in every text column of a raw file. -#}
{% macro null_marker_list() -%}
    {%- set markers = var('null_markers', []) or [] -%}
    {%- if markers is string -%}{%- set markers = [markers] -%}{%- endif -%}
    {%- set quoted = [] -%}
    {%- for marker in markers -%}{%- do quoted.append(sql_string(marker | string)) -%}{%- endfor -%}
    {{ return(quoted | join(', ')) }}
{%- endmacro %}

{#- A cheap test that a raw text value may be a null marker: its first character is the
    first character of a marker, or whitespace the trim removes. Nearly every value fails
    it, so the trimmed text is compared with the markers for a few rows only (the full test
    cost ~1.1 of 4.8 CPU-s of base_customs__declarations at 1M lines). -#}
{% macro null_marker_prefilter(raw) -%}
    {%- set markers = var('null_markers', []) or [] -%}
    {%- if markers is string -%}{%- set markers = [markers] -%}{%- endif -%}
    {%- set firsts = [] -%}
    {%- for marker in markers -%}
        {%- set first = (marker | string)[:1] -%}
        {%- if first and first not in firsts -%}{%- do firsts.append(first) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('null_marker_prefilter', 'customs_cip')(raw, firsts)) }}
{%- endmacro %}

{% macro default__null_marker_prefilter(raw, firsts) -%}
    {%- set quoted = [] -%}
    {%- for first in firsts -%}{%- do quoted.append(sql_string(first)) -%}{%- endfor -%}
    substr({{ raw }}, 1, 1) in ({{ (quoted + ["' '", 'chr(9)', 'chr(10)', 'chr(13)', 'chr(160)']) | join(', ') }})
{%- endmacro %}

{% macro duckdb__null_marker_prefilter(raw, firsts) -%}
    {#- by code point, as text_or_null tests the ends (cheaper than a one-character substr) -#}
    {%- set points = [] -%}
    {%- for first in firsts -%}{%- do points.append("unicode(" ~ sql_string(first) ~ ")") -%}{%- endfor -%}
    unicode({{ raw }}) in ({{ (points + ['9', '10', '13', '32', '160']) | join(', ') }})
{%- endmacro %}

{#- The reason of a value unreadable as its type, with the likely cause when the text shows
    it (computed only for the rare unreadable value): a decimal comma or thousands separator
    ('1.234,56'), a currency sign or unit ('$100', '100 USD'), an Excel serial date ('45296'),
    a day/month/year date ('05/01/2024', whose order is unknown). The reason starts with
    '<column> unreadable as <type>' either way. Patterns are anchored: regexp_like matches the
    whole value on DuckDB, a part of it on Postgres and Spark. -#}
{% macro unreadable_reason(text, name, kind, is_text=true) -%}
    {%- set base = name ~ " unreadable as " ~ kind -%}
    {%- if not is_text -%}{{ return(sql_string(base)) }}{%- endif -%}
    {%- if kind == 'date' -%}
        {{ return("case when " ~ regexp_like(text, '^[0-9]{5}([.][0-9]+)?$') ~ " then "
            ~ sql_string(base ~ " (an Excel serial date? export it as YYYY-MM-DD)")
            ~ " when " ~ regexp_like(text, '^[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}.*$') ~ " then "
            ~ sql_string(base ~ " (day/month/year, whose order is ambiguous? export it as YYYY-MM-DD)")
            ~ " else " ~ sql_string(base) ~ " end") }}
    {%- endif -%}
    {{ return("case when " ~ regexp_like(text, '^.*[0-9],[0-9].*$') ~ " then "
        ~ sql_string(base ~ " (a decimal comma or thousands separator? write 1234.56)")
        ~ " when " ~ regexp_like(text, '^.*[0-9].*$') ~ " and " ~ regexp_like(text, '^.*[^0-9eE.+ -].*$') ~ " then "
        ~ sql_string(base ~ " (a currency sign, unit or other text beside the number? write the number alone)")
        ~ " else " ~ sql_string(base) ~ " end") }}
{%- endmacro %}

{#- One contract column: (value expression, text expression, [reason expressions]). The
    reasons are computed one layer up, from the typed value (by its name) and the raw text
    (_cip_text_<name>), so each value is computed once per row. -#}
{% macro _contract_column_expr(column, source) -%}
    {%- set name = column.name | lower -%}
    {%- set wanted = column.data_type | upper -%}
    {%- set meta = contract_meta(column) -%}
    {%- set raw = source.get('expr') or adapter.quote(source['name']) -%}
    {%- set found = source['type'] -%}
    {%- set is_text = found == 'VARCHAR' or found.startswith('VARCHAR') or found in ('TEXT', 'STRING', 'CHARACTER VARYING') -%}
    {%- set text = text_or_null(raw) if is_text else raw -%}
    {%- set markers = null_marker_list() if is_text else '' -%}
    {%- if markers -%}
        {#- an export's spelling of a missing value ('NULL', 'N/A', '-') is null, not a code or an
            unreadable number (var null_markers) -#}
        {%- set text = "case when " ~ null_marker_prefilter(raw) ~ " and " ~ text ~ " in (" ~ markers
            ~ ") then null else " ~ text ~ " end" -%}
    {%- endif -%}
    {%- set reasons = [] -%}
    {%- set v = name -%}
    {%- set t = '_cip_text_' ~ name -%}
    {%- if wanted == 'VARCHAR' -%}
        {%- if is_text -%}
            {%- set value = text -%}
        {%- elif found in ('DOUBLE', 'FLOAT', 'REAL') or found.startswith('DECIMAL') -%}
            {#- a code exported as a number: 4254010.0 reads as '4254010' -#}
            {%- set value = "case when " ~ raw ~ " = " ~ trunc_double(raw) ~ " and abs(" ~ raw ~ ") < 1e18 then cast(cast("
                ~ raw ~ " as bigint) as " ~ type_text() ~ ") else cast(" ~ raw ~ " as " ~ type_text() ~ ") end" -%}
        {%- else -%}
            {%- set value = "cast(" ~ raw ~ " as " ~ type_text() ~ ")" -%}
        {%- endif -%}
        {%- set allowed = meta.get('allowed') or [] -%}
        {%- set allowed_text = allowed | map('string') | list -%}
        {%- if meta.get('normalize') == 'upper'
            or (allowed_text and allowed_text | map('upper') | list == allowed_text) -%}
            {%- set value = "upper(" ~ value ~ ")" -%}
        {%- elif allowed_text and allowed_text | map('lower') | list == allowed_text -%}
            {%- set value = "lower(" ~ value ~ ")" -%}
        {%- endif -%}
    {%- elif wanted == 'INTEGER' -%}
        {%- if found in ('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT') -%}
            {%- set value = raw if found == 'INTEGER' else try_cast(raw, 'integer') -%}
            {%- do reasons.append("case when " ~ t ~ " is not null and " ~ v ~ " is null then '" ~ name ~ " out of range for integer' end") -%}
        {%- else -%}
            {%- set number = try_cast(text, type_double()) -%}
            {%- set value = "case when " ~ number ~ " = " ~ trunc_double(number) ~ " then " ~ try_cast(number, 'integer') ~ " end" -%}
            {%- set t_number = try_cast(t, type_double()) -%}
            {%- do reasons.append("case when " ~ t ~ " is null or " ~ v ~ " is not null then null when " ~ t_number ~ " is null then "
                ~ unreadable_reason(t, name, 'integer', is_text) ~ " when " ~ t_number ~ " <> " ~ trunc_double(t_number) ~ " then '" ~ name
                ~ " not a whole number' else '" ~ name ~ " not a finite integer in range' end") -%}
        {%- endif -%}
    {%- elif wanted == 'DOUBLE' -%}
        {%- if found == 'DOUBLE' -%}
            {%- set value = raw -%}
        {%- else -%}
            {%- set value = try_cast(text, type_double()) -%}
            {%- do reasons.append("case when " ~ t ~ " is not null and " ~ v ~ " is null then " ~ unreadable_reason(t, name, 'double', is_text) ~ " end") -%}
        {%- endif -%}
        {%- set max_abs = "%g" | format(cip_number_var('max_abs_number', low=0)) -%}
        {%- do reasons.append(number_out_of_range_reason(v, name, max_abs)) -%}
    {%- elif wanted == 'DATE' -%}
        {%- set value = to_utc_date(text, found) -%}
        {%- if found != 'DATE' -%}
            {%- do reasons.append("case when " ~ t ~ " is not null and " ~ v ~ " is null then " ~ unreadable_reason(t, name, 'date', is_text) ~ " end") -%}
        {%- endif -%}
        {%- set earliest = earliest_date_for(meta) -%}
        {%- do reasons.append("case when " ~ v ~ " > " ~ load_date_sql() ~ " then '" ~ name ~ " after the load date'"
            ~ " when " ~ v ~ " < cast(" ~ sql_string(earliest) ~ " as date) then '" ~ name ~ " before the earliest date " ~ earliest ~ "' end") -%}
    {%- else -%}
        {%- if found == wanted -%}
            {%- set value = raw -%}
        {%- else -%}
            {%- set value = try_cast(text, contract_type(column.data_type)) -%}
            {%- do reasons.append("case when " ~ t ~ " is not null and " ~ v ~ " is null then '" ~ name ~ " unreadable as " ~ column.data_type ~ "' end") -%}
        {%- endif -%}
    {%- endif -%}
    {{ return((value, text, reasons)) }}
{%- endmacro %}

{% macro _typed_contract_select(node, present, reader, source_file_expr, version_expr=none, key_filter=none, record_error=none) -%}
    {%- set missing = [] -%}
    {%- for column in node.columns.values() -%}
        {%- if contract_meta(column).get('required', false) and column.name | lower not in present -%}
            {%- do missing.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error("Source " ~ node.source_name ~ "." ~ node.name ~ ": " ~ reader
            ~ " lacks the required column(s) " ~ missing | join(', ')
            ~ ". Add them (see docs/source_contract.md) or fix the export.") }}
    {%- endif -%}
    {%- set inner = [] -%}
    {%- set selects = [] -%}
    {%- set checks = [] -%}
    {%- if record_error is not none -%}
        {#- first: the other reasons of such a record come from values in the wrong columns -#}
        {%- do inner.append(record_error ~ " as _cip_record_error") -%}
        {%- do checks.append("_cip_record_error") -%}
    {%- endif -%}
    {%- set identifiers = [] -%}
    {%- for column in node.columns.values() -%}
        {%- set name = column.name | lower -%}
        {%- if name not in present -%}
            {%- do selects.append("cast(null as " ~ contract_type(column.data_type) ~ ") as " ~ name) -%}
        {%- else -%}
            {%- set value, text, reasons = _contract_column_expr(column, present[name]) -%}
            {%- do inner.append(value ~ " as " ~ name) -%}
            {%- if reasons -%}{%- do inner.append(text ~ " as _cip_text_" ~ name) -%}{%- endif -%}
            {%- do selects.append(name) -%}
            {%- do checks.extend(reasons) -%}
            {%- if contract_meta(column).get('normalize') == 'upper' and column.data_type | upper == 'VARCHAR' -%}
                {%- do identifiers.append(name) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if identifiers -%}
        {#- an id or code holding a control or invisible character would stage as a second id that
            looks like the first: quarantined. One test over the row's ids together, then per id
            only on the rare row that fails it (half the cost of a test per column). -#}
        {%- set each = [] -%}
        {%- for name in identifiers -%}
            {%- do each.append("case when " ~ has_invisible_char(name) ~ " then '" ~ name
                ~ " holds a control or invisible character' end") -%}
        {%- endfor -%}
        {%- do checks.append("case when " ~ has_invisible_char("concat_ws('', " ~ identifiers | join(', ') ~ ")")
            ~ " then " ~ reject_reasons(each) ~ " end") -%}
    {%- endif -%}
    {%- if checks -%}
        {%- do selects.append(reject_reasons(checks) ~ " as _cast_errors") -%}
    {%- else -%}
        {%- do selects.append("'' as _cast_errors") -%}
    {%- endif -%}
    {%- do inner.append("cast(" ~ source_file_expr ~ " as " ~ type_text() ~ ") as _source_file") -%}
    {%- do selects.append("_source_file") -%}
    {%- if version_expr is not none -%}
        {%- do inner.append("cast(" ~ version_expr ~ " as " ~ type_text() ~ ") as _source_file_version") -%}
        {%- do selects.append("_source_file_version") -%}
    {%- endif -%}
    {%- set where = '' -%}
    {%- if key_filter is not none -%}
        {#- the key's typed values, computed from the raw columns (an absent key column is null) -#}
        {%- set keys = [] -%}
        {%- for key in key_filter['columns'] -%}
            {%- set column = node.columns.get(key) -%}
            {%- if column is none or key not in present -%}
                {%- do keys.append('null') -%}
            {%- else -%}
                {%- do keys.append(_contract_column_expr(column, present[key])[0]) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set where = "\n    where " ~ hash_key(keys) ~ " in (" ~ key_filter['hashes'] ~ ")" -%}
    {%- endif -%}
    {{ return("select\n        " ~ selects | join(",\n        ") ~ "\n    from (\n    select\n        "
        ~ inner | join(",\n        ") ~ "\n    from " ~ reader ~ where ~ "\n    ) as typed") }}
{%- endmacro %}

{% macro _empty_contract_select(node, with_file_versions=false) -%}
    {%- set selects = [] -%}
    {%- for column in node.columns.values() -%}
        {%- do selects.append("cast(null as " ~ contract_type(column.data_type) ~ ") as " ~ column.name | lower) -%}
    {%- endfor -%}
    {%- do selects.append("'' as _cast_errors") -%}
    {%- do selects.append("cast(null as " ~ type_text() ~ ") as _source_file") -%}
    {%- if with_file_versions -%}
        {%- do selects.append("cast(null as " ~ type_text() ~ ") as _source_file_version") -%}
    {%- endif -%}
    {{ return("select\n        " ~ selects | join(",\n        ") ~ "\n    where 1 = 0") }}
{%- endmacro %}

{#- true when the raw input exists (always true on engines where sources are tables). -#}
{% macro source_is_available(source_name, table_name) -%}
    {%- if not execute -%}{{ return(true) }}{%- endif -%}
    {{ return(adapter.dispatch('source_is_available', 'customs_cip')(source_name, table_name)) }}
{%- endmacro %}

{% macro default__source_is_available(source_name, table_name) -%}
    {{ return(adapter.get_columns_in_relation(source(source_name, table_name)) | length > 0) }}
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
    {%- if adapter.get_columns_in_relation(relation) | length == 0 %}
    select 0 as raw_rows
    {%- else %}
    select count(*) as raw_rows from {{ relation }}
    {%- endif %}
{%- endmacro %}

{% macro duckdb__raw_row_count(source_name, table_name, relation) -%}
    {%- set files = raw_source_files(table_name) -%}
    {%- if files | length == 0 -%}
        select 0 as raw_rows
    {%- elif files[0].endswith('.parquet') -%}
        select count(*) as raw_rows from read_parquet({{ _file_list_sql(files) }})
    {%- else -%}
        select count(*) as raw_rows from ({% for file in files %}{{ ' union all ' if not loop.first }}select 1 from {{ _csv_scan(file, raw_csv_dialect(file)) }}{% endfor %}) as csv_records
    {%- endif -%}
{%- endmacro %}
