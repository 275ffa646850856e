{#- M10 (note: the GRI as an AEO criterion): every operator with each AEO criterion,
    is_eligible when all pass, and a reason for every failed criterion. -#}

with

criteria as (
    select * from {{ ref('int_aeo_criteria_checked') }}
),

reasons as (
    select
        tin,
        concat_ws(
            '; ',
            case
                when not passes_risk_level
                    then 'risk level ' || risk_level || ' above {{ var("aeo_max_risk_level") }}'
            end,
            case
                when not passes_history
                    then 'trading history of ' || cast(history_months as {{ type_text() }})
                        || ' months, below {{ var("aeo_min_history_months") }}'
            end,
            case
                when not passes_no_serious_violation
                    then cast(serious_findings as {{ type_text() }}) || ' serious violation(s) found in the window'
            end,
            case
                when not passes_tax_compliance and not is_registered
                    then 'not in the tax register'
            end,
            case
                when not passes_tax_compliance and is_registered and returns_missing > 0
                    then cast(returns_missing as {{ type_text() }}) || ' tax return(s) not filed'
            end,
            case
                when not passes_tax_compliance and is_registered and tax_audits_irregular > 0
                    then cast(tax_audits_irregular as {{ type_text() }}) || ' tax audit(s) with irregularities'
            end,
            case
                when not passes_min_declarations
                    then cast(declarations as {{ type_text() }}) || ' declarations, below {{ var("aeo_min_declarations") }}'
            end
        ) as failed_reasons
    from criteria
),

final as (
    select
        criteria.tin,
        criteria.risk_level,
        cast(criteria.history_months as integer) as history_months,
        cast(criteria.serious_findings as integer) as serious_findings,
        criteria.is_registered,
        cast(criteria.returns_missing as integer) as returns_missing,
        cast(criteria.tax_audits_irregular as integer) as tax_audits_irregular,
        cast(criteria.declarations as integer) as declarations,
        criteria.passes_risk_level,
        criteria.passes_history,
        criteria.passes_no_serious_violation,
        criteria.passes_tax_compliance,
        criteria.passes_min_declarations,
        (
            criteria.passes_risk_level
            and criteria.passes_history
            and criteria.passes_no_serious_violation
            and criteria.passes_tax_compliance
            and criteria.passes_min_declarations
        ) as is_eligible,
        criteria.is_currently_aeo,
        nullif(reasons.failed_reasons, '') as failed_reasons
    from criteria
    inner join reasons
        on criteria.tin = reasons.tin
)

select {{ stable_select() }} from final
