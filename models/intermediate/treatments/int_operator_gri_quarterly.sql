{#- M21/M10: a simplified point-in-time GRI of every operator at the end of every
    quarter with declarations, without rebuilding the M2-M5 pipeline per quarter:
    indicator raw values are recomputed from int_operator_quarters_summarised over the
    trailing_window var window_months ending at the quarter end, flagged with the catalogue's
    comparison and threshold, and weighted with the CURRENT selected global weights.
    Only the indicators listed below are recomputed (transaction flags are point in
    time; growth and tax-customs cross-check indicators are left out), and the GRI is
    rescaled by the weight of those indicators so it stays on the 0-1 scale of M5.
    An operator appears at a quarter end when it declared in the trailing_window window.
    Speed: one grouping of the trailing window with sums only (an operator has one row per
    quarter, so quarters with an offence are a sum; the distinct years with a tax
    irregularity come from the few quarters that have one), and the indicators are
    flagged side by side on each operator row against a one-row table of their
    threshold and weight, instead of one row per operator and indicator regrouped. -#}
{%- set registered_only = 'case when is_registered then {} end' -%}
{#- (indicator, raw value over the trailing window); tax indicators have no value outside the tax register -#}
{%- set indicators = [
    ('TX_HIGH_RISK_BROKER', safe_divide('lines_risky_broker', 'lines')),
    ('TX_RISKY_HS', safe_divide('lines_risky_hs', 'lines')),
    ('TX_RISKY_ORIGIN', safe_divide('import_lines_risky_origin', 'import_lines')),
    ('TX_UNIT_PRICE_DEVIATION', safe_divide('import_lines_below_norm', 'import_lines_with_norm')),
    ('CR_SERIOUS_VIOLATIONS', safe_divide('serious_examined_lines', 'examined_lines')),
    ('CR_REPEAT_OFFENDER', 'cast(quarters_with_offence as ' ~ type_double() ~ ')'),
    ('TAX_NON_FILER', registered_only.format(safe_divide('returns_due - returns_filed', 'returns_due'))),
    ('TAX_AUDIT_IRREGULARITIES', registered_only.format('cast(tax_audits_irregular as ' ~ type_double() ~ ')')),
    ('TAX_TRANSFER_PRICING', registered_only.format('cast(tax_audits_transfer_pricing as ' ~ type_double() ~ ')')),
    ('TAX_REPEAT_OFFENDER', registered_only.format('cast(years_with_tax_irregularity as ' ~ type_double() ~ ')')),
] -%}
{#- per operator row: flags raised, weighted flags and weights of the indicators in use (unused: 0).
    The doubles are added in a fixed order: the order in which the former one-row-per-indicator
    version summed them (DuckDB ran its first union branch first, then the others last to first),
    so that a GRI exactly half-way between two 6-decimal values rounds as it did before. -#}
{%- set sum_order = indicators[:1] + (indicators[1:] | reverse | list) -%}
{%- set flags, weighted_flags, weights = [], [], [] -%}
{%- for code, value_sql in sum_order -%}
    {%- do flags.append('case when ' ~ (code | lower) ~ '_weight is not null then ' ~ (code | lower) ~ '_flag else 0 end') -%}
    {%- do weighted_flags.append('coalesce(' ~ (code | lower) ~ '_weight * ' ~ (code | lower) ~ '_flag, 0)') -%}
    {%- do weights.append('coalesce(' ~ (code | lower) ~ '_weight, 0)') -%}
{%- endfor %}

with

quarters as (
    select distinct
        quarter_start,
        quarter_end
    from {{ ref('int_declaration_months') }}
),

operator_quarters as (
    select * from {{ ref('int_operator_quarters_summarised') }}
),

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

indicator_status as (
    select * from {{ ref('int_indicator_status') }}
),

selected_weights as (
    select
        indicator_code,
        final_weight
    from {{ ref('indicator_weights') }}
    where is_selected_technique and gri_type = 'global' and final_weight > 0
),

registered as (
    select distinct tin from {{ ref('stg_tax__taxpayers') }}
),

trailing_window as (
    select
        operator_quarters.tin,
        quarters.quarter_end as period_end,
        sum(operator_quarters.lines) as lines,
        sum(operator_quarters.import_lines) as import_lines,
        sum(operator_quarters.lines_risky_broker) as lines_risky_broker,
        sum(operator_quarters.lines_risky_hs) as lines_risky_hs,
        sum(operator_quarters.import_lines_risky_origin) as import_lines_risky_origin,
        sum(operator_quarters.import_lines_with_norm) as import_lines_with_norm,
        sum(operator_quarters.import_lines_below_norm) as import_lines_below_norm,
        sum(operator_quarters.examined_lines) as examined_lines,
        sum(operator_quarters.serious_examined_lines) as serious_examined_lines,
        -- (tin, quarter_start) is the key of operator_quarters: a sum counts distinct quarters
        sum(case when operator_quarters.offences > 0 then 1 else 0 end) as quarters_with_offence,
        sum(operator_quarters.returns_due) as returns_due,
        sum(operator_quarters.returns_filed) as returns_filed,
        sum(operator_quarters.tax_audits_irregular) as tax_audits_irregular,
        sum(operator_quarters.tax_audits_transfer_pricing) as tax_audits_transfer_pricing
    from quarters
    inner join operator_quarters
        on quarters.quarter_start >= operator_quarters.quarter_start
            and operator_quarters.quarter_start
            > cast({{ dbt.dateadd('month', -1 * (var('window_months') | int), 'quarters.quarter_start') }} as date)
    group by operator_quarters.tin, quarters.quarter_end
),

-- few rows: the quarters with a tax irregularity (own scan, so operator_quarters streams)
tax_irregularity_years as (
    select
        irregular_quarters.tin,
        quarters.quarter_end as period_end,
        count(distinct {{ dbt.date_trunc('year', 'irregular_quarters.quarter_start') }}) as years_with_tax_irregularity
    from quarters
    inner join {{ ref('int_operator_quarters_summarised') }} as irregular_quarters
        on quarters.quarter_start >= irregular_quarters.quarter_start
            and irregular_quarters.quarter_start
            > cast({{ dbt.dateadd('month', -1 * (var('window_months') | int), 'quarters.quarter_start') }} as date)
    where irregular_quarters.tax_audits_irregular > 0
    group by irregular_quarters.tin, quarters.quarter_end
),

active_operators as (
    select
        trailing_window.*,
        coalesce(tax_irregularity_years.years_with_tax_irregularity, 0) as years_with_tax_irregularity,
        registered.tin is not null as is_registered
    from trailing_window
    left join tax_irregularity_years
        on trailing_window.tin = tax_irregularity_years.tin
            and trailing_window.period_end = tax_irregularity_years.period_end
    left join registered
        on trailing_window.tin = registered.tin
    where trailing_window.lines > 0
),

-- the recomputed indicators that are active and carry a selected global weight
indicator_parameters as (
    select
        catalogue.indicator_code,
        catalogue.comparison,
        catalogue.threshold,
        selected_weights.final_weight
    from catalogue
    inner join indicator_status
        on catalogue.indicator_code = indicator_status.indicator_code
    inner join selected_weights
        on catalogue.indicator_code = selected_weights.indicator_code
    where indicator_status.is_active
),

-- the select lists below are generated by loops, whose indentation sqlfluff measures
-- against the loop tag rather than the rendered SQL (rendered SQL is 4-space)
-- noqa: disable=LT02
-- one row: comparison, threshold and weight of each recomputed indicator (null weight = not in use)
parameters as (
    select
        {%- for code, value_sql in indicators %}
        max(case when indicator_code = '{{ code }}' then comparison end) as {{ code | lower }}_comparison,
        max(case when indicator_code = '{{ code }}' then threshold end) as {{ code | lower }}_threshold,
        max(case when indicator_code = '{{ code }}' then final_weight end) as {{ code | lower }}_weight,
        {%- endfor %}
        count(*) as indicators_in_use
    from indicator_parameters
),

flagged as (
    select
        {%- for code, value_sql in indicators %}
        {%- set prefix = 'parameters.' ~ (code | lower) %}
        {{ prefix }}_weight,
        {{ indicator_flag(value_sql, prefix ~ '_comparison', prefix ~ '_threshold') }} as {{ code | lower }}_flag,
        {%- endfor %}
        active_operators.tin,
        active_operators.period_end,
        active_operators.lines
    from active_operators
    cross join parameters
),
-- noqa: enable=LT02

final as (
    select
        tin,
        period_end,
        cast(lines as integer) as lines_in_window,
        cast({{ flags | join(' + ') }} as integer) as flags_raised,
        {{ round_double('coalesce(' ~ safe_divide(weighted_flags | join(' + '), weights | join(' + ')) ~ ', 0)', 6) }} as gri
    from flagged
)

select * from final
