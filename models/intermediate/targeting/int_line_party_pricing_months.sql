{%- set pricing_parties = {'importer': 'tin', 'declarant': 'declarant_id', 'supplier': 'supplier_id'} %}
{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ line_party_pricing_months_delete_pending({'importer': 'tin', 'declarant': 'declarant_id', 'supplier': 'supplier_id'}) }}",
) }}
{#- M10 / M4 learned, at the line: how each importer, broker (declarant) and supplier priced its
    import lines, per declaration month: its priced lines (a tariff-line norm exists), the sum of
    their log ratios to the norm of their tariff line (integer micro-units: exact in any order)
    and its lines below var unit_value_lower_bound_ratio x the norm. The norm of a tariff line in
    a month is that of int_declaration_line_feature_counts: the geometric mean of the lines of the
    earlier months (int_line_unit_value_months), given from var unit_value_min_lines lines on.
    int_declaration_line_feature_counts sums a party's earlier months. A stored model (issue 13,
    50M): the features compute every line in batches of months, and each batch reads these sums
    instead of pricing every line again. One read of the lines for the three parties (grouping
    sets). Incremental on DuckDB (issue 13, daily rebuild): a run recomputes only the pairs a
    load can change (macro line_pricing_touched_pairs: the pairs of the loaded rows, and of the
    lines whose tariff-line norm moved), whose stored rows the pre-hook deleted; every pair
    without a watermark (macro line_months_pending_loads). _load_seq stamps the rows. -#}
{%- set min_lines = var('unit_value_min_lines') -%}
{%- set below_log_ratio = 'ln(' ~ var('unit_value_lower_bound_ratio') ~ ')' -%}
{%- set pending = line_months_pending_loads() %}

with

{% if pending is not none -%}
    touched_pairs as (
        {{ line_pricing_touched_pairs(pending, pricing_parties) | indent(8) }}
    ),

    import_lines as (
        -- the lines of a recomputed pair, through any of their parties; each flagged by which
        -- of its pairs are recomputed (a pair's lines all share its flag)
        select *
        from (
            select
                lines.*,
            {%- for party in pricing_parties %}
                {{ party }}_pairs.party is not null as {{ party }}_recomputed{{ ',' if not loop.last }}
            {%- endfor %}
            from {{ ref('int_declaration_lines_valued') }} as lines
                {%- for party, column in pricing_parties.items() %}
                left join touched_pairs as {{ party }}_pairs
                    on {{ party }}_pairs.party = '{{ party }}'
                        and lines.{{ column }} = {{ party }}_pairs.party_id
                        and lines.declaration_month = {{ party }}_pairs.declaration_month
                    {%- endfor %}
            where lines.flow = 'I'
        ) as flagged
        where
            {%- for party in pricing_parties %}
                {{ 'or ' if not loop.first }}{{ party }}_recomputed
            {%- endfor %}
    ),
{%- else -%}
    import_lines as (
        select
            *,
        {%- for party in pricing_parties %}
            true as {{ party }}_recomputed{{ ',' if not loop.last }}
        {%- endfor %}
        from {{ ref('int_declaration_lines_valued') }}
        where flow = 'I'
    ),
{%- endif %}

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

priced as (
    -- every priced import line once, with its log ratio to its tariff line's norm
    select
        {%- for party, column in pricing_parties.items() %}
            lines.{{ column }},
            lines.{{ party }}_recomputed,
        {%- endfor %}
        lines.declaration_month,
        ln(lines.unit_value_usd) - norms_line.sum_log / norms_line.priced_lines as uv_log_ratio_line
    from import_lines as lines
    inner join norms_line
        on lines.declaration_month = norms_line.declaration_month
            and lines.flow = norms_line.flow
            and lines.hs_code = norms_line.hs_code
            and lines.value_unit = norms_line.value_unit
    where
        lines.unit_value_usd > 0
        and lines.tin is not null
        and norms_line.priced_lines >= {{ min_lines }}
),

party_months as (
    select
        case
            {%- for party, column in (pricing_parties.items() | list)[:-1] %}
                when grouping({{ column }}) = 0 then '{{ party }}'
            {%- endfor %}
            else '{{ (pricing_parties.keys() | list)[-1] }}'
        end as party,
        -- the columns outside a row's grouping set are null
        coalesce({{ pricing_parties.values() | join(', ') }}) as party_id,
        declaration_month,
        count(*) as priced_lines,
        sum(cast(round(uv_log_ratio_line * 1000000) as bigint)) as sum_log_ratio_micro,
        sum(case when uv_log_ratio_line < {{ below_log_ratio }} then 1 else 0 end) as lines_below,
        -- whether the group's pair is recomputed (every pair on a full run)
        case
            {%- for party, column in (pricing_parties.items() | list)[:-1] %}
                when grouping({{ column }}) = 0 then max(case when {{ party }}_recomputed then 1 else 0 end)
            {%- endfor %}
            else max(case when {{ (pricing_parties.keys() | list)[-1] }}_recomputed then 1 else 0 end)
        end as recomputed
    from priced
    group by grouping sets (
        {%- for column in pricing_parties.values() %}
            ({{ column }}, declaration_month){{ ',' if not loop.last }}
        {%- endfor %}
    )
),

latest_load as (
    select max(_load_seq) as _load_seq
    from {{ ref('base_customs__declarations') }}
),

final as (
    select
        party_months.party,
        party_months.party_id,
        party_months.declaration_month,
        party_months.priced_lines,
        party_months.sum_log_ratio_micro,
        party_months.lines_below,
        -- the load the row was computed with: the watermark of the incremental runs
        latest_load._load_seq
    from party_months
    cross join latest_load
    where
        party_months.party_id is not null
        -- a pair outside the recomputed ones has only the lines it shares with them here
        and party_months.recomputed = 1
)

select * from final
