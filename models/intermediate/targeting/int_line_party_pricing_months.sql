{{ config(materialized='table') }}
{#- M10 / M4 learned, at the line: how each importer, broker (declarant) and supplier priced its
    import lines, per declaration month: its priced lines (a tariff-line norm exists), the sum of
    their log ratios to the norm of their tariff line (integer micro-units: exact in any order)
    and its lines below var unit_value_lower_bound_ratio x the norm. The norm of a tariff line in
    a month is that of int_declaration_line_feature_counts: the geometric mean of the lines of the
    earlier months (int_line_unit_value_months), given from var unit_value_min_lines lines on.
    int_declaration_line_feature_counts sums a party's earlier months. A stored model (issue 13,
    50M): the features compute every line in batches of months, and each batch reads these sums
    instead of pricing every line again. Each party's branch reads the lines itself: a frame of
    every line read three times would be materialised whole. -#}
{%- set min_lines = var('unit_value_min_lines') -%}
{%- set below_log_ratio = 'ln(' ~ var('unit_value_lower_bound_ratio') ~ ')' -%}
{%- set pricing_parties = {'importer': 'tin', 'declarant': 'declarant_id', 'supplier': 'supplier_id'} %}

with

unit_value_months_line as (
    select
        flow,
        hs_code,
        value_unit,
        declaration_month,
        sum(priced_lines) as priced_lines,
        sum(sum_log_micro) as sum_log_micro
    from {{ ref('int_line_unit_value_months') }}
    where flow = 'I'
    group by flow, hs_code, value_unit, declaration_month
),

norms_line as (
    -- lines of the earlier months only (the month itself is not known on its first day)
    select
        flow,
        hs_code,
        value_unit,
        declaration_month,
        sum(priced_lines) over earlier_months as priced_lines,
        cast(sum(sum_log_micro) over earlier_months as {{ type_double() }}) / 1000000 as sum_log
    from unit_value_months_line
    window earlier_months as (
        partition by flow, hs_code, value_unit
        order by declaration_month
        rows between unbounded preceding and 1 preceding
    )
),

{% for party, column in pricing_parties.items() %}
    {{ party }}_months as (
        select
            '{{ party }}' as party,
            party_id,
            declaration_month,
            count(*) as priced_lines,
            sum(cast(round(uv_log_ratio_line * 1000000) as bigint)) as sum_log_ratio_micro,
            sum(case when uv_log_ratio_line < {{ below_log_ratio }} then 1 else 0 end) as lines_below
        from (
            select
                lines.{{ column }} as party_id,
                lines.declaration_month,
                ln(lines.unit_value_usd) - norms_line.sum_log / norms_line.priced_lines as uv_log_ratio_line
            from {{ ref('int_declaration_lines_valued') }} as lines
            inner join norms_line
                on lines.declaration_month = norms_line.declaration_month
                    and lines.flow = norms_line.flow
                    and lines.hs_code = norms_line.hs_code
                    and lines.value_unit = norms_line.value_unit
            where
                lines.flow = 'I'
                and lines.unit_value_usd > 0
                and lines.tin is not null
                and lines.{{ column }} is not null
                and norms_line.priced_lines >= {{ min_lines }}
        ) as priced
        group by party_id, declaration_month
    ),

{% endfor %}
final as (
    select * from importer_months
    union all
    select * from declarant_months
    union all
    select * from supplier_months
)

select * from final
