{#- Issue 13 (daily rebuild): the stored monthly sums int_line_unit_value_months are
    incremental on DuckDB. Each row carries _load_seq, the
    latest load of base_customs__declarations when it was computed; the highest one stored is
    the model's watermark. Returns the condition on base_customs__declarations' _load_seq that
    selects the base rows (any status: new lines, the earlier versions they replace, rejected
    rows) of the loads since the model last ran, skipped runs included, and of the latest
    load; or none when every row must be computed: not an incremental run, no watermark (a
    table from before this change, or empty), or a watermark past the latest load (the base
    table was rebuilt alone with --full-refresh, which restarts _load_seq at 1). -#}
{% macro line_months_pending_loads() -%}
    {%- if not is_incremental() or not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if '_load_seq' not in columns -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set base = ref('base_customs__declarations') -%}
    {%- set found = run_query('select (select max(_load_seq) from ' ~ this ~ '), (select max(_load_seq) from ' ~ base ~ ')') -%}
    {%- set watermark, latest = found.rows[0][0], found.rows[0][1] -%}
    {%- if watermark is none or latest is none or watermark > latest -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return('_load_seq > ' ~ watermark ~ ' or _load_seq = ' ~ latest) }}
{%- endmacro %}

{#- The (flow, tariff line, month) groups of the pending base rows (macro
    line_months_pending_loads): the unit-value groups whose sums a load can change -#}
{% macro line_months_touched_tariff_months(pending) -%}
    select distinct
        flow,
        hs_code,
        declaration_month
    from {{ ref('base_customs__declarations') }}
    where {{ pending }}
{%- endmacro %}

{#- Pre-hook of int_line_unit_value_months (DuckDB, incremental runs): deletes the stored groups
    the run recomputes (every group when there is no usable watermark) -#}
{% macro line_unit_value_months_delete_pending() -%}
    {%- if is_incremental() -%}
        {%- set pending = line_months_pending_loads() -%}
        delete from {{ this }}
        {%- if pending is not none %}
        where (flow, hs_code, declaration_month) in (
            {{ line_months_touched_tariff_months(pending) }}
        )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
