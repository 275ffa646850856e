{#- M21/M10: a simplified point-in-time GRI of every operator at the end of every
    quarter with declarations, without rebuilding the M2-M5 pipeline per quarter:
    indicator raw values are recomputed from int_operator_quarters_summarised over the
    trailing_window var window_months ending at the quarter end, flagged with the catalogue's
    comparison and threshold, and weighted with the CURRENT selected global weights.
    Only the indicators listed below are recomputed (transaction flags are point in
    time; growth and tax-customs cross-check indicators are left out), and the GRI is
    rescaled by the weight of those indicators so it stays on the 0-1 scale of M5.
    An operator appears at a quarter end when it declared in the trailing_window window. -#}
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
        count(distinct case when operator_quarters.offences > 0 then operator_quarters.quarter_start end)
            as quarters_with_offence,
        sum(operator_quarters.returns_due) as returns_due,
        sum(operator_quarters.returns_filed) as returns_filed,
        sum(operator_quarters.tax_audits_irregular) as tax_audits_irregular,
        sum(operator_quarters.tax_audits_transfer_pricing) as tax_audits_transfer_pricing,
        count(distinct case
            when operator_quarters.tax_audits_irregular > 0
                then {{ dbt.date_trunc('year', 'operator_quarters.quarter_start') }}
        end) as years_with_tax_irregularity
    from quarters
    inner join operator_quarters
        on quarters.quarter_start >= operator_quarters.quarter_start
            and operator_quarters.quarter_start
            > cast({{ dbt.dateadd('month', -1 * (var('window_months') | int), 'quarters.quarter_start') }} as date)
    group by operator_quarters.tin, quarters.quarter_end
),

active_operators as (
    select
        trailing_window.*,
        registered.tin is not null as is_registered
    from trailing_window
    left join registered
        on trailing_window.tin = registered.tin
    where trailing_window.lines > 0
),

raw_values as (
    {% for code, value_sql in indicators %}
        select
            tin,
            period_end,
            '{{ code }}' as indicator_code,
            {{ value_sql }} as raw_value
        from active_operators
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

flagged as (
    select
        raw_values.tin,
        raw_values.period_end,
        raw_values.indicator_code,
        selected_weights.final_weight,
        {{ indicator_flag('raw_values.raw_value', 'catalogue.comparison', 'catalogue.threshold') }} as flag
    from raw_values
    inner join catalogue
        on raw_values.indicator_code = catalogue.indicator_code
    inner join indicator_status
        on raw_values.indicator_code = indicator_status.indicator_code
    inner join selected_weights
        on raw_values.indicator_code = selected_weights.indicator_code
    where indicator_status.is_active
),

final as (
    select
        active_operators.tin,
        active_operators.period_end,
        cast(active_operators.lines as integer) as lines_in_window,
        cast(coalesce(sum(flagged.flag), 0) as integer) as flags_raised,
        round(
            coalesce({{ safe_divide('sum(flagged.final_weight * flagged.flag)', 'sum(flagged.final_weight)') }}, 0),
            6
        ) as gri
    from active_operators
    left join flagged
        on active_operators.tin = flagged.tin
            and active_operators.period_end = flagged.period_end
    group by active_operators.tin, active_operators.period_end, active_operators.lines
)

select * from final
