{#- Issue 13 (50M in one pass): int_declaration_line_feature_counts computes every line in
    batches of consecutive declaration months, so that each batch's 18 entity-history look-ups
    hold only the history rows of its days (as_of_day) and probe only its lines: at 50M the
    look-ups of every line at once needed more than the 5.5 GB pool and filled the 20 GB spill
    cap. A batch takes whole months while it stays within var line_features_batch_lines lines
    (at least one month); one batch (every line, no filter: the query of old) when the lines fit
    in one, on a daily run (its few lines) and on engines other than DuckDB (a plain table).
    Returns a list of (first day, last day) pairs, as 'YYYY-MM-DD' strings; the first batch
    starts at 0001-01-01 and the last ends at 9999-12-31, so every line is in exactly one batch
    whatever its date. The lines are counted per month on the valued lines with an operator
    (the features' lines). -#}
{% macro line_features_batches() -%}
    {%- if not execute or target.type != 'duckdb' or not line_risk_recompute_all() -%}
        {{ return([none]) }}
    {%- endif -%}
    {%- set budget = var('line_features_batch_lines') | int -%}
    {%- set months = run_query(
        "select declaration_month, count(*) from " ~ ref('int_declaration_lines_valued')
        ~ " where tin is not null and declaration_month is not null group by declaration_month order by declaration_month") -%}
    {%- set starts = [] -%}
    {%- set state = {'lines': 0} -%}
    {%- for row in months.rows -%}
        {%- if starts | length == 0 or state['lines'] + row[1] > budget -%}
            {%- do starts.append(row[0]) -%}
            {%- do state.update({'lines': 0}) -%}
        {%- endif -%}
        {%- do state.update({'lines': state['lines'] + row[1]}) -%}
    {%- endfor -%}
    {%- if starts | length < 2 -%}
        {{ return([none]) }}
    {%- endif -%}
    {%- set batches = [] -%}
    {%- for start in starts -%}
        {%- set first = '0001-01-01' if loop.first else start.strftime('%Y-%m-%d') -%}
        {%- set last = '9999-12-31' if loop.last
            else (starts[loop.index] - modules.datetime.timedelta(days=1)).strftime('%Y-%m-%d') -%}
        {%- do batches.append((first, last)) -%}
    {%- endfor -%}
    {{ return(batches) }}
{%- endmacro %}

{#- `between <first> and <last>` of a batch of macro line_features_batches: the only place the
    model writes a batch's days, so macro line_features_insert_batches can swap them -#}
{% macro line_features_batch_days(batch) -%}
    between date '{{ batch[0] }}' and date '{{ batch[1] }}'
{%- endmacro %}

{#- Post-hook of int_declaration_line_feature_counts: the model's own statement computed the first
    batch; this inserts each further batch, the same compiled query with the first batch's days
    (macro line_features_batch_days) replaced by the batch's. One statement per batch, so each
    one's hash tables are freed before the next. Renders nothing (no statement) otherwise. -#}
{% macro line_features_insert_batches() -%}
    {%- set batches = line_features_batches() -%}
    {%- if batches | length > 1 -%}
        {%- set query = model.compiled_code -%}
        {%- set first_days = line_features_batch_days(batches[0]) -%}
        {%- if first_days not in query -%}
            {{ exceptions.raise_compiler_error("line_features_insert_batches: the compiled query of "
                ~ this ~ " does not filter on the first batch's days (" ~ first_days ~ ")") }}
        {%- endif -%}
        {%- for batch in batches[1:] -%}
            {%- do log('int_declaration_line_feature_counts: batch ' ~ (loop.index + 1) ~ ' of '
                ~ batches | length ~ ', days ' ~ batch[0] ~ ' to ' ~ batch[1], info=true) -%}
            {%- do run_query('insert into ' ~ this ~ ' by name select * from ('
                ~ query.replace(first_days, line_features_batch_days(batch)) ~ ') as batch_lines') -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
