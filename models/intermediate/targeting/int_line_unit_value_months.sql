{{ config(materialized='table') }}
{#- M10 / M4 learned, at the line: what the unit-value norms of int_declaration_line_feature_counts
    sum, per declaration month at the finest of their keys (tariff line x origin, with its HS6
    subheading): the priced lines (unit value > 0) and the sums of the log unit value and of its
    square, as integers. Each norm (tariff line, tariff line x origin, HS6) sums these groups over
    the earlier months. A stored model (issue 13, 50M): the feature counts compute every line in
    batches of months, and every batch reads these sums instead of rescanning every line.
    The lines are the valued lines with an operator: the flagged view's lines (it joins the
    operator's first declaration; the contract rejects lines without one), without its joins. -#}

with

lines as (
    select
        flow,
        hs_code,
        hs_subheading,
        origin_country,
        value_unit,
        declaration_month,
        unit_value_usd
    from {{ ref('int_declaration_lines_valued') }}
    where unit_value_usd > 0 and tin is not null
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
            as sum_log_squared_e8
    from lines
    group by flow, hs_code, hs_subheading, origin_country, value_unit, declaration_month
)

select * from final
