{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ line_unit_value_months_delete_pending() }}",
) }}
{#- M10 / M4 learned, at the line: what the unit-value norms of int_declaration_line_feature_counts
    sum, per declaration month at the finest of their keys (tariff line x origin, with its HS6
    subheading): the priced lines (unit value > 0) and the sums of the log unit value and of its
    square, as integers. Each norm (tariff line, tariff line x origin, HS6) sums these groups over
    the earlier months. A stored model (issue 13, 50M): the feature counts compute every line in
    batches of months, and every batch reads these sums instead of rescanning every line.
    Incremental on DuckDB (issue 13, daily rebuild): a run recomputes only the (flow, tariff
    line, month) groups of the base rows loaded since it last ran (macro
    line_months_pending_loads; new lines and the earlier versions they replace), whose stored
    rows the pre-hook deleted; every group without a watermark. _load_seq stamps the rows.
    The lines are the valued lines with an operator: the flagged view's lines (it joins the
    operator's first declaration; the contract rejects lines without one), without its joins. -#}

{%- set pending = line_months_pending_loads() %}

with

{% if pending is not none -%}
    touched as (
        {{ line_months_touched_tariff_months(pending) | indent(8) }}
    ),

    valued as (
        -- the lines of the touched groups only
        select *
        from {{ ref('int_declaration_lines_valued') }} as lines
        where exists (
                select 1
                from touched
                where
                    touched.flow = lines.flow
                    and touched.hs_code = lines.hs_code
                    and touched.declaration_month = lines.declaration_month
            )
    ),
{%- else -%}
    valued as (
        select * from {{ ref('int_declaration_lines_valued') }}
    ),
{%- endif %}

lines as (
    select
        flow,
        hs_code,
        hs_subheading,
        origin_country,
        value_unit,
        declaration_month,
        unit_value_usd
    from valued
    where unit_value_usd > 0 and tin is not null
),

latest_load as (
    select max(_load_seq) as _load_seq
    from {{ ref('base_customs__declarations') }}
),

final as (
    select
        flow,
        hs_code,
        hs_subheading,
        origin_country,
        value_unit,
        declaration_month,
        count(*) as priced_lines,
        -- sums of integers (micro-units of the log, and its square at 1e-4): exact, so
        -- the norms do not depend on the order in which parallel threads add lines
        sum(cast(round(ln(unit_value_usd) * 1000000) as bigint)) as sum_log_micro,
        sum(cast(round(ln(unit_value_usd) * 10000) as bigint) * cast(round(ln(unit_value_usd) * 10000) as bigint))
            as sum_log_squared_e8,
        -- the load the row was computed with: the watermark of the incremental runs
        max(latest_load._load_seq) as _load_seq
    from lines
    cross join latest_load
    group by flow, hs_code, hs_subheading, origin_country, value_unit, declaration_month
)

select * from final
