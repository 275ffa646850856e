-- The benchmark's floor (issue 7): one hand-written DuckDB query over the raw files
-- computing what the warehouse's GRI path computes, reduced to its core: the window
-- (M1), size segments (M1), five representative indicator flags (M2/M3), frequency
-- weights for the global GRI (M4), the global GRI and its risk level (M5/M6) and the
-- Table 4 counts (M7). No quarantine, no tests, no intermediate tables: the fastest an
-- expert could get the same answer with the same engine. cip.bench fills the
-- placeholders from dbt_project.yml vars and seeds/config/indicator_catalogue.csv.
-- Returns one row per operator (cip.bench stores it in a temporary table and derives
-- the Table 4 counts from it in a second, tiny statement; both are timed).

with

raw_lines as (
    select
        declaration_id,
        item_no,
        coalesce(version, 1) as line_version,
        try_cast(declaration_date as date) as declaration_date,
        flow,
        tin,
        declarant_id,
        hs_code,
        origin_country,
        currency,
        customs_value,
        quantity,
        quantity_unit,
        net_mass_kg,
        duty_paid,
        vat_paid,
        coalesce(excise_paid, 0) as excise_paid,
        exemption_code is not null as is_exempt
    from read_parquet({declarations}, union_by_name = true)
    where try_cast(declaration_date as date) is not null
),

corrected_lines as (
    -- few lines have a later version: aggregate those only instead of a window over all lines
    select
        declaration_id,
        item_no,
        max(line_version) as latest_version
    from raw_lines
    where line_version > 1
    group by declaration_id, item_no
),

latest_lines as (
    select raw_lines.*
    from raw_lines
    left join corrected_lines
        on raw_lines.declaration_id = corrected_lines.declaration_id
            and raw_lines.item_no = corrected_lines.item_no
    where corrected_lines.latest_version is null
        or raw_lines.line_version = corrected_lines.latest_version
),

rates as (
    select
        currency,
        month_start,
        usd_per_unit
    from read_parquet({exchange_rates})
),

evaluation_window as (
    select
        max(declaration_date) as as_of_date,
        cast(max(declaration_date) - to_months({window_months}) + interval 1 day as date) as window_start,
        cast(max(declaration_date) - to_months({half_months}) + interval 1 day as date) as recent_half_start
    from latest_lines
),

lines as (
    select
        latest_lines.*,
        latest_lines.declaration_date >= evaluation_window.recent_half_start as is_recent_half,
        latest_lines.customs_value * invoice_rates.usd_per_unit as customs_value_usd,
        latest_lines.duty_paid * lcu_rates.usd_per_unit as duty_paid_usd,
        latest_lines.vat_paid * lcu_rates.usd_per_unit as vat_paid_usd,
        latest_lines.excise_paid * lcu_rates.usd_per_unit as excise_paid_usd,
        case when latest_lines.quantity > 0 then coalesce(latest_lines.quantity_unit, 'U') else 'KG' end as value_unit,
        latest_lines.customs_value * invoice_rates.usd_per_unit / case
            when latest_lines.quantity > 0 then latest_lines.quantity
            when latest_lines.net_mass_kg > 0 then latest_lines.net_mass_kg
        end as unit_value_usd
    from latest_lines
    cross join evaluation_window
    inner join rates as invoice_rates
        on latest_lines.currency = invoice_rates.currency
            and date_trunc('month', latest_lines.declaration_date) = invoice_rates.month_start
    inner join rates as lcu_rates
        on lcu_rates.currency = '{national_currency}'
            and date_trunc('month', latest_lines.declaration_date) = lcu_rates.month_start
    where latest_lines.declaration_date between evaluation_window.window_start and evaluation_window.as_of_date
),

controls as (
    select
        control_results.declaration_id,
        control_results.item_no,
        control_results.tin,
        control_results.control_type,
        control_results.outcome = 'irregularity' as is_irregular,
        try_cast(control_results.control_date as date) as control_date
    from read_parquet({control_results}) as control_results
    cross join evaluation_window
    where try_cast(control_results.control_date as date) between evaluation_window.window_start and evaluation_window.as_of_date
),

examined_lines as (
    select
        lines.declaration_id,
        lines.item_no,
        any_value(lines.origin_country) as origin_country,
        bool_or(controls.is_irregular) as is_irregular
    from controls
    inner join lines
        on controls.declaration_id = lines.declaration_id
            and (controls.item_no is null or controls.item_no = lines.item_no)
    where controls.control_type = 'examination'
    group by lines.declaration_id, lines.item_no
),

country_hit_rates as (
    select
        origin_country,
        count(*) as examined_lines,
        avg(case when is_irregular then 1.0 else 0.0 end) as hit_rate
    from examined_lines
    where origin_country is not null
    group by origin_country
),

overall_hit_rate as (
    select avg(case when is_irregular then 1.0 else 0.0 end) as hit_rate
    from examined_lines
    where origin_country is not null
),

risky_countries as (
    select country_code
    from read_parquet({country_risk})
    where risk_rating = 'high'
    union
    select country_hit_rates.origin_country
    from country_hit_rates
    cross join overall_hit_rate
    where country_hit_rates.examined_lines >= {risky_min_examined_lines}
        and country_hit_rates.hit_rate >= {risky_min_lift} * overall_hit_rate.hit_rate
),

unit_value_norms as (
    select
        hs_code,
        value_unit,
        {unit_value_lower_bound_ratio} * median(unit_value_usd) as lower_bound_unit_value_usd
    from lines
    where flow = 'I' and unit_value_usd is not null
    group by hs_code, value_unit
    having count(*) >= {unit_value_min_lines}
),

operator_lines as (
    select
        lines.tin,
        sum(lines.customs_value_usd) as trade_value_usd,
        sum(lines.duty_paid_usd) as duty_paid_usd,
        sum(lines.vat_paid_usd) as vat_paid_usd,
        sum(lines.excise_paid_usd) as excise_paid_usd,
        sum(lines.vat_paid) as vat_paid_lcu,
        sum(case when lines.flow = 'I' then 1 else 0 end) as import_lines,
        sum(case when lines.flow = 'I' and risky_countries.country_code is not null then 1 else 0 end)
            as import_lines_risky_origin,
        sum(case when lines.flow = 'I' and unit_value_norms.hs_code is not null then 1 else 0 end)
            as import_lines_with_norm,
        sum(case when lines.flow = 'I' and lines.unit_value_usd < unit_value_norms.lower_bound_unit_value_usd then 1 else 0 end)
            as import_lines_below_norm,
        sum(case when lines.flow = 'I' and lines.is_recent_half then 1 else 0 end) as import_lines_recent,
        sum(case when lines.flow = 'I' and lines.is_recent_half and lines.is_exempt then 1 else 0 end) as exempt_lines_recent,
        sum(case when lines.flow = 'I' and not lines.is_recent_half then 1 else 0 end) as import_lines_earlier,
        sum(case when lines.flow = 'I' and not lines.is_recent_half and lines.is_exempt then 1 else 0 end)
            as exempt_lines_earlier
    from lines
    left join risky_countries
        on lines.origin_country = risky_countries.country_code
    left join unit_value_norms
        on lines.hs_code = unit_value_norms.hs_code
            and lines.value_unit = unit_value_norms.value_unit
    group by lines.tin
),

operator_controls as (
    select
        tin,
        count(*) as controls,
        count(distinct case when is_irregular then date_trunc('quarter', control_date) end) as quarters_with_irregularity,
        bool_or(is_irregular) as has_customs_irregularity
    from controls
    group by tin
),

operator_returns as (
    select
        tax_returns.tin,
        sum(case when tax_returns.filed then 1 else 0 end) as returns_filed,
        sum(case when tax_returns.filed then tax_returns.vat_on_imports_claimed else 0 end) as vat_on_imports_claimed
    from read_parquet({tax_returns}) as tax_returns
    cross join evaluation_window
    where tax_returns.period_start between date_trunc('month', evaluation_window.window_start) and evaluation_window.as_of_date
    group by tax_returns.tin
),

operator_audits as (
    select tax_audits.tin
    from read_parquet({tax_audits}) as tax_audits
    cross join evaluation_window
    where tax_audits.audit_date between evaluation_window.window_start and evaluation_window.as_of_date
        and tax_audits.irregularity_found
    group by tax_audits.tin
),

operator_values as (
    select
        operator_lines.*,
        coalesce(operator_controls.controls, 0) as controls,
        coalesce(operator_controls.quarters_with_irregularity, 0) as quarters_with_irregularity,
        coalesce(operator_controls.has_customs_irregularity, false)
        or operator_audits.tin is not null as has_detected_irregularity,
        operator_lines.import_lines_risky_origin / nullif(operator_lines.import_lines, 0) as risky_origin_share,
        operator_lines.import_lines_below_norm / nullif(operator_lines.import_lines_with_norm, 0) as below_norm_share,
        operator_lines.exempt_lines_recent / nullif(operator_lines.import_lines_recent, 0)
        - operator_lines.exempt_lines_earlier / nullif(operator_lines.import_lines_earlier, 0) as exempt_growth,
        case when operator_returns.returns_filed > 0 then
                (operator_returns.vat_on_imports_claimed - operator_lines.vat_paid_lcu)
                / nullif(operator_lines.vat_paid_lcu, 0)
        end as vat_mismatch
    from operator_lines
    left join operator_controls
        on operator_lines.tin = operator_controls.tin
    left join operator_returns
        on operator_lines.tin = operator_returns.tin
    left join operator_audits
        on operator_lines.tin = operator_audits.tin
),

operator_flags as (
    select
        *,
        case
            when trade_value_usd >= {size_large_min_usd} then 'large'
            when trade_value_usd >= {size_medium_min_usd} then 'medium'
            else 'small'
        end as size_segment,
        coalesce(risky_origin_share {cmp_TX_RISKY_ORIGIN} {thr_TX_RISKY_ORIGIN}, false)::int as flag_risky_origin,
        coalesce(below_norm_share {cmp_TX_UNIT_PRICE_DEVIATION} {thr_TX_UNIT_PRICE_DEVIATION}, false)::int
            as flag_unit_price,
        coalesce(exempt_growth {cmp_CR_EXEMPT_GROWTH} {thr_CR_EXEMPT_GROWTH}, false)::int as flag_exempt_growth,
        coalesce(quarters_with_irregularity {cmp_CR_REPEAT_OFFENDER} {thr_CR_REPEAT_OFFENDER}, false)::int
            as flag_repeat_offender,
        coalesce(vat_mismatch {cmp_XC_VAT_MISMATCH} {thr_XC_VAT_MISMATCH}, false)::int as flag_vat_mismatch
    from operator_values
),

ones as (
    select
        sum(case when has_detected_irregularity then flag_risky_origin else 0 end) as risky_origin,
        sum(case when has_detected_irregularity then flag_unit_price else 0 end) as unit_price,
        sum(case when has_detected_irregularity then flag_exempt_growth else 0 end) as exempt_growth,
        sum(case when has_detected_irregularity then flag_repeat_offender else 0 end) as repeat_offender,
        sum(case when has_detected_irregularity then flag_vat_mismatch else 0 end) as vat_mismatch
    from operator_flags
),

ones_long as (
    unpivot ones
    on risky_origin, unit_price, exempt_growth, repeat_offender, vat_mismatch
    into name indicator value ones_count
),

shares as (
    select
        indicator,
        ones_count / nullif(sum(ones_count) over (), 0) as share
    from ones_long
),

weights_long as (
    select
        indicator,
        coalesce(
            case when share > {weight_tolerance} then share / sum(case when share > {weight_tolerance} then share end) over () end,
            0
        ) as final_weight
    from shares
),

weights as (
    select
        sum(case when indicator = 'risky_origin' then final_weight else 0 end) as risky_origin,
        sum(case when indicator = 'unit_price' then final_weight else 0 end) as unit_price,
        sum(case when indicator = 'exempt_growth' then final_weight else 0 end) as exempt_growth,
        sum(case when indicator = 'repeat_offender' then final_weight else 0 end) as repeat_offender,
        sum(case when indicator = 'vat_mismatch' then final_weight else 0 end) as vat_mismatch
    from weights_long
),

final as (
    select
        operator_flags.tin,
        operator_flags.size_segment,
        operator_flags.trade_value_usd,
        operator_flags.duty_paid_usd,
        operator_flags.vat_paid_usd,
        operator_flags.excise_paid_usd,
        operator_flags.flag_risky_origin,
        operator_flags.flag_unit_price,
        operator_flags.flag_exempt_growth,
        operator_flags.flag_repeat_offender,
        operator_flags.flag_vat_mismatch,
        operator_flags.controls = 0 as is_without_control,
        operator_flags.quarters_with_irregularity,
        round(
            operator_flags.flag_risky_origin * weights.risky_origin
            + operator_flags.flag_unit_price * weights.unit_price
            + operator_flags.flag_exempt_growth * weights.exempt_growth
            + operator_flags.flag_repeat_offender * weights.repeat_offender
            + operator_flags.flag_vat_mismatch * weights.vat_mismatch,
            6
        ) as gri
    from operator_flags
    cross join weights
)

select * from final
