{#- M2: the rule of every indicator, in one place. An indicator is a row of the seed
    indicator_catalogue: its raw value is the SQL expression in column raw_value_sql,
    written over the named per-operator counts of indicator_count_names() (all doubles,
    so `/` divides exactly on every engine; `nullif(x, 0)` for a zero denominator, and
    a null count, e.g. tax figures of an operator outside the register, gives no value).
    The comparison and threshold of the same row make the flag (indicator_flag). The
    current flags, the quarterly history, the matrix and cip check all read that row.
    Returns [(code, expression)] in code order; empty while dbt parses. -#}
{% macro indicator_expressions() -%}
    {%- set catalogue = ref('indicator_catalogue') -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {#- the seed's table itself: in a unit test ref() names the fixture's CTE, which a
        query of its own cannot read (the fixture's rows still drive the flags) -#}
    {%- if catalogue.identifier != 'indicator_catalogue' -%}
        {#- Spark's relations have no database (its targets define none) -#}
        {%- set catalogue = api.Relation.create(database=(target.database if target.database is defined else none),
            schema=generate_schema_name('config', none), identifier='indicator_catalogue') -%}
    {%- endif -%}
    {%- set result = run_query("select indicator_code, raw_value_sql from " ~ catalogue ~ " order by indicator_code") -%}
    {%- set found = [] -%}
    {%- for row in result.rows -%}
        {%- if not modules.re.match('^[A-Z][A-Z0-9_]*$', row[0] or '') -%}
            {{ exceptions.raise_compiler_error("indicator_catalogue: indicator_code '" ~ row[0]
                ~ "' must be upper-case letters, digits and underscores (it names a matrix column).") }}
        {%- endif -%}
        {%- if not (row[1] or '') | trim -%}
            {{ exceptions.raise_compiler_error("indicator_catalogue: indicator " ~ row[0]
                ~ " has no raw_value_sql (its raw value over the counts of indicator_count_names;"
                ~ " docs/configuration.md, 'Add an indicator').") }}
        {%- endif -%}
        {%- do found.append((row[0], row[1] | trim)) -%}
    {%- endfor -%}
    {{ return(found) }}
{%- endmacro %}

{#- The named per-operator counts an indicator expression may use: the columns the
    counting macros below give for one operator over one window. -#}
{% macro indicator_count_names() -%}
    {{ return(operator_line_count_names() + [
        'examined_lines', 'serious_examined_lines', 'quarters_with_irregularity',
        'returns_due', 'returns_filed', 'vat_on_imports_claimed_lcu', 'imports_declared_lcu',
        'exports_declared_lcu', 'excise_declared_lcu', 'tax_audits_irregular',
        'tax_audits_transfer_pricing', 'years_with_tax_irregularity',
    ]) }}
{%- endmacro %}

{#- One row per key and indicator: the raw value of every catalogue indicator over
    `counts` (a relation or CTE with indicator_count_names() and the key columns). -#}
{% macro indicator_raw_values(counts, key_columns) -%}
    {%- set expressions = indicator_expressions() -%}
    {%- if expressions | length == 0 %}
    select
        {%- for key in key_columns %}
        {{ key }},
        {%- endfor %}
        cast(null as {{ dbt.type_string() }}) as indicator_code,
        cast(null as {{ type_double() }}) as raw_value
    from {{ counts }}
    where 1 = 0
    {%- endif -%}
    {%- for code, expression in expressions %}
    {% if not loop.first %}union all{% endif %}
    select
        {%- for key in key_columns %}
        {{ key }},
        {%- endfor %}
        '{{ code }}' as indicator_code,
        cast({{ expression }} as {{ type_double() }}) as raw_value
    from {{ counts }}
    {%- endfor %}
{%- endmacro %}

{#- The flag of every active indicator (macro indicator_flag with the catalogue's
    comparison and threshold), over the caller's CTEs raw_values (from
    indicator_raw_values), catalogue and indicator_status. -#}
{% macro indicator_flags_select(key_columns) -%}
    select
        {%- for key in key_columns %}
        raw_values.{{ key }},
        {%- endfor %}
        raw_values.indicator_code,
        catalogue.category,
        raw_values.raw_value,
        {{ indicator_flag('raw_values.raw_value', 'catalogue.comparison', 'catalogue.threshold') }} as flag
    from raw_values
    inner join catalogue
        on raw_values.indicator_code = catalogue.indicator_code
    inner join indicator_status
        on raw_values.indicator_code = indicator_status.indicator_code
    where indicator_status.is_active
{%- endmacro %}

{#- The counts as doubles, from the per-operator count relations `transactions`,
    `controls` and `tax_records` joined on `key_columns` (controls default to 0 for an
    operator without any; tax figures stay null outside the tax register). -#}
{% macro indicator_count_columns(transactions, controls, tax_records) -%}
    {%- set control_names = ['examined_lines', 'serious_examined_lines', 'quarters_with_irregularity'] -%}
    {%- for name in indicator_count_names() %}
        {%- if name in operator_line_count_names() %}
        cast({{ transactions }}.{{ name }} as {{ type_double() }}) as {{ name }},
        {%- elif name in control_names %}
        cast(coalesce({{ controls }}.{{ name }}, 0) as {{ type_double() }}) as {{ name }},
        {%- else %}
        cast({{ tax_records }}.{{ name }} as {{ type_double() }}) as {{ name }},
        {%- endif %}
    {%- endfor %}
        {{ tax_records }}.tin is not null as is_registered
{%- endmacro %}

{#- M5: the GRI of one operator, sum of weight x flag. The doubles are added in
    indicator order, so a GRI half-way between two 6-decimal values rounds the same way
    in every build and in the current GRI and its history alike. -#}
{% macro gri_weighted_sum(weight, flag, indicator_code) -%}
    {{ ordered_sum(weight ~ ' * ' ~ flag, indicator_code) }}
{%- endmacro %}
