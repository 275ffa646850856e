{#- The declaration files already loaded into `relation` (relative paths), after checking
    each is still in the data folder unchanged: same size and modification time, or, when
    those differ (a copy), the same MD5. A loaded file that changed or disappeared stops
    the run with the command that rebuilds from all files (issue 16, docs/incremental.md). -#}
{% macro loaded_declaration_files(relation) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- set rebuild = "Rebuild from all files once: `cip build --full-refresh` (or `dbt build --full-refresh`"
        ~ " with the same CIP_DATA_DIR); see docs/incremental.md." -%}
    {%- if '_source_file_version' not in columns -%}
        {{ exceptions.raise_compiler_error(relation ~ " was built by an earlier version of the project, which"
            ~ " identified files by their full path. " ~ rebuild) }}
    {%- endif -%}
    {%- set loaded = run_query("select _source_file, min(_source_file_version) from " ~ relation
        ~ " where _source_file is not null group by _source_file order by 1") -%}
    {%- set current = {} -%}
    {%- set files = raw_source_files('declarations') -%}
    {%- if files -%}
        {%- set found = run_query("select filename, size, strftime(last_modified at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%f')"
            ~ " from read_blob(" ~ _file_list_sql(files) ~ ")") -%}
        {%- for row in found.rows -%}
            {%- do current.update({raw_file_relative(row[0]): {'file': row[0], 'size': row[1] | string, 'mtime': row[2]}}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- set names = [] -%}
    {%- for row in loaded.rows -%}
        {%- set name = row[0] -%}
        {%- do names.append(name) -%}
        {%- set stored = {} -%}
        {%- for part in (row[1] or '').split(';') -%}
            {%- if '=' in part -%}{%- do stored.update({part.split('=', 1)[0]: part.split('=', 1)[1]}) -%}{%- endif -%}
        {%- endfor -%}
        {%- if name not in current -%}
            {%- do problems.append(name ~ " was loaded and is no longer in " ~ raw_data_dir()) -%}
        {%- elif current[name]['size'] != stored.get('size') -%}
            {%- do problems.append(name ~ " changed since it was loaded (" ~ stored.get('size') ~ " bytes then, "
                ~ current[name]['size'] ~ " now)") -%}
        {%- elif current[name]['mtime'] != stored.get('mtime') -%}
            {%- set hashed = run_query("select md5(content) from read_blob(" ~ sql_string(current[name]['file']) ~ ")") -%}
            {%- if hashed.rows[0][0] != stored.get('md5') -%}
                {%- do problems.append(name ~ " changed since it was loaded (same size, different content; modified "
                    ~ current[name]['mtime'] ~ ")") -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error("Declarations already loaded into " ~ relation ~ " changed: "
            ~ problems | join('; ') ~ ". Loaded files must not change or disappear (corrections go in a new file). "
            ~ rebuild) }}
    {%- endif -%}
    {{ return(names) }}
{%- endmacro %}
