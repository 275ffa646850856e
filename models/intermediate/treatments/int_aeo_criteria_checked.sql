{#- M10 (note: the GRI as an AEO criterion): the configurable AEO criteria checked for
    every operator of int_operators_profiled, each as a pass/fail boolean. -#}

with

operators as (
    select * from {{ ref('int_operators_profiled') }}
),

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

risk_levels as (
    select * from {{ ref('risk_levels') }}
),

max_level as (
    select sort_order as max_level_sort_order
    from risk_levels
    where risk_level = '{{ var("aeo_max_risk_level") }}'
),

history as (
    select
        declarations.tin,
        min(declarations.declaration_date) as first_declaration_date
    from {{ ref('stg_customs__declarations') }} as declarations
    cross join evaluation_window
    where declarations.declaration_date <= evaluation_window.as_of_date
    group by declarations.tin
),

serious_findings as (
    select
        tin,
        count(*) as serious_findings
    from {{ ref('int_controls_in_window') }}
    where is_irregular and is_serious
    group by tin
),

tax_records as (
    select * from {{ ref('int_operator_tax_records') }}
),

final as (
    select
        operators.tin,
        operators.risk_level,
        history.first_declaration_date,
        cast({{ dbt.datediff('history.first_declaration_date', 'evaluation_window.as_of_date', 'month') }} as integer)
            as history_months,
        cast(coalesce(serious_findings.serious_findings, 0) as integer) as serious_findings,
        tax_records.tin is not null as is_registered,
        cast(coalesce(tax_records.returns_due, 0) - coalesce(tax_records.returns_filed, 0) as integer)
            as returns_missing,
        cast(coalesce(tax_records.tax_audits_irregular, 0) as integer) as tax_audits_irregular,
        operators.declarations,
        risk_levels.sort_order >= max_level.max_level_sort_order as passes_risk_level,
        (
            {{ dbt.datediff('history.first_declaration_date', 'evaluation_window.as_of_date', 'month') }}
            >= {{ var('aeo_min_history_months') }}
        ) as passes_history,
        coalesce(serious_findings.serious_findings, 0) = 0 as passes_no_serious_violation,
        coalesce(
            tax_records.returns_due = tax_records.returns_filed and tax_records.tax_audits_irregular = 0,
            false
        ) as passes_tax_compliance,
        operators.declarations >= {{ var('aeo_min_declarations') }} as passes_min_declarations,
        operators.is_aeo as is_currently_aeo
    from operators
    cross join evaluation_window
    cross join max_level
    inner join risk_levels
        on operators.risk_level = risk_levels.risk_level
    left join history
        on operators.tin = history.tin
    left join serious_findings
        on operators.tin = serious_findings.tin
    left join tax_records
        on operators.tin = tax_records.tin
)

select * from final
