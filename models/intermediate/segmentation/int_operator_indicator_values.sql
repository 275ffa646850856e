{#- M2/M3: the raw value of every active indicator for every operator of the window,
    and its 0/1 flag from the catalogue's comparison and threshold. Raw values are
    null when the operator has no data for the indicator (flag 0). The rule of each
    indicator is its raw-value expression below; thresholds live in the catalogue. -#}

with

operators as (
    select * from {{ ref('int_operator_transactions') }}
),

controls as (
    select * from {{ ref('int_operator_controls') }}
),

tax_records as (
    select * from {{ ref('int_operator_tax_records') }}
),

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

indicator_status as (
    select * from {{ ref('int_indicator_status') }}
),

operator_base as (
    select
        operators.*,
        coalesce(controls.examined_lines, 0) as examined_lines,
        coalesce(controls.serious_examined_lines, 0) as serious_examined_lines,
        coalesce(controls.quarters_with_irregularity, 0) as quarters_with_irregularity,
        tax_records.tin is not null as is_registered,
        tax_records.returns_due,
        tax_records.returns_filed,
        tax_records.vat_on_imports_claimed_lcu,
        tax_records.imports_declared_lcu,
        tax_records.exports_declared_lcu,
        tax_records.excise_declared_lcu,
        tax_records.tax_audits_irregular,
        tax_records.tax_audits_transfer_pricing,
        tax_records.years_with_tax_irregularity
    from operators
    left join controls
        on operators.tin = controls.tin
    left join tax_records
        on operators.tin = tax_records.tin
),

raw_values as (
    -- transactions
    select
        tin,
        'TX_HIGH_RISK_BROKER' as indicator_code,
        {{ safe_divide('lines_high_risk_broker', 'lines') }} as raw_value
    from operator_base
    union all
    select
        tin,
        'TX_RISKY_HS' as indicator_code,
        {{ safe_divide('lines_risky_hs', 'lines') }} as raw_value
    from operator_base
    union all
    select
        tin,
        'TX_RISKY_ORIGIN' as indicator_code,
        {{ safe_divide('import_lines_risky_origin', 'import_lines') }} as raw_value
    from operator_base
    union all
    select
        tin,
        'TX_UNIT_PRICE_DEVIATION' as indicator_code,
        {{ safe_divide('import_lines_below_norm', 'import_lines_with_norm') }} as raw_value
    from operator_base
    -- customs records
    union all
    select
        tin,
        'CR_SERIOUS_VIOLATIONS' as indicator_code,
        {{ safe_divide('serious_examined_lines', 'examined_lines') }} as raw_value
    from operator_base
    union all
    select
        tin,
        'CR_EXEMPT_GROWTH' as indicator_code,
        {{ safe_divide('exempt_lines_recent', 'import_lines_recent') }}
        - {{ safe_divide('exempt_lines_earlier', 'import_lines_earlier') }} as raw_value
    from operator_base
    union all
    select
        tin,
        'CR_RESIDUAL_GROWTH' as indicator_code,
        {{ safe_divide('residual_lines_recent', 'lines_recent') }}
        - {{ safe_divide('residual_lines_earlier', 'lines_earlier') }} as raw_value
    from operator_base
    union all
    select
        tin,
        'CR_REPEAT_OFFENDER' as indicator_code,
        cast(quarters_with_irregularity as {{ type_double() }}) as raw_value
    from operator_base
    -- tax records (registered operators only)
    union all
    select
        tin,
        'TAX_NON_FILER' as indicator_code,
        {{ safe_divide('returns_due - returns_filed', 'returns_due') }} as raw_value
    from operator_base
    union all
    select
        tin,
        'TAX_AUDIT_IRREGULARITIES' as indicator_code,
        cast(tax_audits_irregular as {{ type_double() }}) as raw_value
    from operator_base
    union all
    select
        tin,
        'TAX_TRANSFER_PRICING' as indicator_code,
        cast(tax_audits_transfer_pricing as {{ type_double() }}) as raw_value
    from operator_base
    union all
    select
        tin,
        'TAX_REPEAT_OFFENDER' as indicator_code,
        cast(years_with_tax_irregularity as {{ type_double() }}) as raw_value
    from operator_base
    -- tax-customs cross-checks (operators that filed at least one return)
    union all
    select
        tin,
        'XC_VAT_MISMATCH' as indicator_code,
        case when returns_filed > 0 then
                {{ safe_divide('vat_on_imports_claimed_lcu - vat_paid_lcu', 'vat_paid_lcu') }}
        end as raw_value
    from operator_base
    union all
    select
        tin,
        'XC_VALUE_MISMATCH' as indicator_code,
        case when returns_filed > 0 then
            {{ safe_divide('abs(imports_declared_lcu + exports_declared_lcu - import_value_lcu - export_value_lcu)',
                           'import_value_lcu + export_value_lcu') }}
        end as raw_value
    from operator_base
    union all
    select
        tin,
        'XC_EXCISE_MISMATCH' as indicator_code,
        case when returns_filed > 0 then
                {{ safe_divide('abs(excise_declared_lcu - excise_paid_lcu)', 'excise_paid_lcu') }}
        end as raw_value
    from operator_base
    union all
    select
        tin,
        'XC_ISIC_HS_MISMATCH' as indicator_code,
        {{ safe_divide('import_value_isic_inconsistent_usd', 'import_value_isic_known_usd') }} as raw_value
    from operator_base
),

final as (
    select
        raw_values.tin,
        raw_values.indicator_code,
        catalogue.category,
        raw_values.raw_value,
        {{ indicator_flag('raw_values.raw_value', 'catalogue.comparison', 'catalogue.threshold') }} as flag
    from raw_values
    inner join catalogue
        on raw_values.indicator_code = catalogue.indicator_code
    inner join indicator_status
        on raw_values.indicator_code = indicator_status.indicator_code
    where indicator_status.is_active
)

select * from final
