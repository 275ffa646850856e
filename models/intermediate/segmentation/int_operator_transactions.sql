{#- M1/M2: one pass over the window's declaration lines giving, per operator, its
    size values, taxes paid and the counts behind every transaction and
    customs-record indicator. Small lookups (risky brokers, HS codes, countries,
    unit-value norms, ISIC concordance) are joined in the same pass. -#}

with

declarations as (
    select * from {{ ref('int_declarations_in_window') }}
),

risky_brokers as (
    select declarant_id from {{ ref('int_risky_brokers') }}
    where is_risky
),

risky_hs_codes as (
    select hs_code from {{ ref('int_risky_hs_codes') }}
    where is_risky
),

risky_countries as (
    select country_code from {{ ref('int_risky_countries') }}
    where is_risky
),

unit_value_norms as (
    select * from {{ ref('int_hs_unit_value_norms') }}
    where has_norm
),

nomenclature as (
    select
        hs_code,
        is_residual
    from {{ ref('stg_reference__hs_nomenclature') }}
),

taxpayers as (
    select
        tin,
        isic_code
    from {{ ref('stg_tax__taxpayers') }}
),

concordance as (
    select
        isic_code,
        hs_chapter
    from {{ ref('stg_reference__isic_hs_concordance') }}
),

isic_with_concordance as (
    select distinct isic_code from concordance
),

lines as (
    select
        declarations.tin,
        declarations.declaration_id,
        declarations.flow,
        declarations.declaration_date,
        declarations.is_recent_half,
        declarations.is_exempt,
        declarations.is_aeo,
        declarations.customs_value_usd,
        declarations.customs_value_lcu,
        declarations.duty_paid_usd,
        declarations.vat_paid_usd,
        declarations.excise_paid_usd,
        declarations.duty_paid_lcu,
        declarations.vat_paid_lcu,
        declarations.excise_paid_lcu,
        risky_brokers.declarant_id is not null as is_high_risk_broker,
        risky_hs_codes.hs_code is not null as is_risky_hs,
        risky_countries.country_code is not null as is_risky_origin,
        nomenclature.is_residual,
        unit_value_norms.hs_code is not null as has_unit_value_norm,
        declarations.unit_value_usd < unit_value_norms.lower_bound_unit_value_usd as is_below_unit_value_norm,
        isic_with_concordance.isic_code is not null as has_isic_concordance,
        concordance.hs_chapter is not null as is_isic_consistent
    from declarations
    left join risky_brokers
        on declarations.declarant_id = risky_brokers.declarant_id
    left join risky_hs_codes
        on declarations.hs_code = risky_hs_codes.hs_code
    left join risky_countries
        on declarations.origin_country = risky_countries.country_code
    left join nomenclature
        on declarations.hs_code = nomenclature.hs_code
    left join unit_value_norms
        on declarations.hs_code = unit_value_norms.hs_code
            and declarations.value_unit = unit_value_norms.value_unit
    left join taxpayers
        on declarations.tin = taxpayers.tin
    left join isic_with_concordance
        on taxpayers.isic_code = isic_with_concordance.isic_code
    left join concordance
        on taxpayers.isic_code = concordance.isic_code
            and declarations.hs_chapter = concordance.hs_chapter
),

line_totals as (
    select
        tin,
        -- activity
        count(*) as lines,
        sum(case when flow = 'I' then 1 else 0 end) as import_lines,
        sum(case when flow = 'E' then 1 else 0 end) as export_lines,
        min(declaration_date) as first_declaration_date,
        max(declaration_date) as last_declaration_date,
        max(case when is_aeo then 1 else 0 end) = 1 as is_aeo,
        -- size (M1): CIF of imports plus FOB of exports, USD
        sum(case when flow = 'I' then customs_value_usd else 0 end) as import_value_usd,
        sum(case when flow = 'E' then customs_value_usd else 0 end) as export_value_usd,
        sum(customs_value_usd) as trade_value_usd,
        sum(case when flow = 'I' then customs_value_lcu else 0 end) as import_value_lcu,
        sum(case when flow = 'E' then customs_value_lcu else 0 end) as export_value_lcu,
        -- collection (Table 4 extended)
        sum(duty_paid_usd) as duty_paid_usd,
        sum(vat_paid_usd) as vat_paid_usd,
        sum(excise_paid_usd) as excise_paid_usd,
        sum(duty_paid_lcu) as duty_paid_lcu,
        sum(vat_paid_lcu) as vat_paid_lcu,
        sum(excise_paid_lcu) as excise_paid_lcu,
        -- transaction indicators (M2)
        sum(case when is_high_risk_broker then 1 else 0 end) as lines_high_risk_broker,
        sum(case when is_risky_hs then 1 else 0 end) as lines_risky_hs,
        sum(case when flow = 'I' and is_risky_origin then 1 else 0 end) as import_lines_risky_origin,
        sum(case when flow = 'I' and has_unit_value_norm then 1 else 0 end) as import_lines_with_norm,
        sum(case when flow = 'I' and is_below_unit_value_norm then 1 else 0 end) as import_lines_below_norm,
        -- customs-record growth indicators (M2): earlier vs recent half of the window
        sum(case when flow = 'I' and not is_recent_half then 1 else 0 end) as import_lines_earlier,
        sum(case when flow = 'I' and not is_recent_half and is_exempt then 1 else 0 end) as exempt_lines_earlier,
        sum(case when flow = 'I' and is_recent_half then 1 else 0 end) as import_lines_recent,
        sum(case when flow = 'I' and is_recent_half and is_exempt then 1 else 0 end) as exempt_lines_recent,
        sum(case when not is_recent_half then 1 else 0 end) as lines_earlier,
        sum(case when not is_recent_half and is_residual then 1 else 0 end) as residual_lines_earlier,
        sum(case when is_recent_half then 1 else 0 end) as lines_recent,
        sum(case when is_recent_half and is_residual then 1 else 0 end) as residual_lines_recent,
        -- cross-check: activity vs goods (M2)
        sum(case when flow = 'I' and has_isic_concordance then customs_value_usd else 0 end) as import_value_isic_known_usd,
        sum(case when flow = 'I' and has_isic_concordance and not is_isic_consistent then customs_value_usd else 0 end)
            as import_value_isic_inconsistent_usd
    from lines
    group by tin
),

operator_declarations as (
    -- apart, and from the model rather than the CTE above: a count(distinct) next to the
    -- sums, or a second reader of the CTE, makes the engine materialise every joined
    -- line; over two narrow columns it is one cheap aggregate
    select
        tin,
        count(distinct declaration_id) as declarations
    from {{ ref('int_declarations_in_window') }}
    group by tin
),

final as (
    select
        line_totals.tin,
        line_totals.lines,
        operator_declarations.declarations,
        line_totals.import_lines,
        line_totals.export_lines,
        line_totals.first_declaration_date,
        line_totals.last_declaration_date,
        line_totals.is_aeo,
        line_totals.import_value_usd,
        line_totals.export_value_usd,
        line_totals.trade_value_usd,
        line_totals.import_value_lcu,
        line_totals.export_value_lcu,
        line_totals.duty_paid_usd,
        line_totals.vat_paid_usd,
        line_totals.excise_paid_usd,
        line_totals.duty_paid_lcu,
        line_totals.vat_paid_lcu,
        line_totals.excise_paid_lcu,
        line_totals.lines_high_risk_broker,
        line_totals.lines_risky_hs,
        line_totals.import_lines_risky_origin,
        line_totals.import_lines_with_norm,
        line_totals.import_lines_below_norm,
        line_totals.import_lines_earlier,
        line_totals.exempt_lines_earlier,
        line_totals.import_lines_recent,
        line_totals.exempt_lines_recent,
        line_totals.lines_earlier,
        line_totals.residual_lines_earlier,
        line_totals.lines_recent,
        line_totals.residual_lines_recent,
        line_totals.import_value_isic_known_usd,
        line_totals.import_value_isic_inconsistent_usd
    from line_totals
    inner join operator_declarations
        on line_totals.tin = operator_declarations.tin
)

select * from final
