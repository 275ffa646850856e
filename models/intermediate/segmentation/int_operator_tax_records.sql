{#- M2 tax records: per registered operator, returns due and filed in the window,
    amounts declared in them (LCU) and tax audit findings. Empty when the tax
    sources are absent (the indicators are then disabled, not zero-filled). -#}

with

evaluation_window as (
    select * from {{ ref('int_evaluation_window') }}
),

taxpayers as (
    select * from {{ ref('stg_tax__taxpayers') }}
),

tax_returns as (
    select tax_returns.*
    from {{ ref('stg_tax__tax_returns') }} as tax_returns
    cross join evaluation_window
    where tax_returns.{{ tax_return_in_window('evaluation_window') }}
),

tax_audits as (
    select tax_audits.*
    from {{ ref('stg_tax__tax_audits') }} as tax_audits
    cross join evaluation_window
    where tax_audits.{{ tax_audit_in_window('evaluation_window') }}
),

returns_by_operator as (
    select
        tin,
        {{- operator_return_count_columns() }}
    from tax_returns
    group by tin
),

audits_by_operator as (
    select
        tin,
        {{- operator_audit_count_columns() }}
    from tax_audits
    group by tin
),

final as (
    select
        taxpayers.tin,
        taxpayers.isic_code,
        taxpayers.taxpayer_status,
        coalesce(returns_by_operator.returns_due, 0) as returns_due,
        coalesce(returns_by_operator.returns_filed, 0) as returns_filed,
        returns_by_operator.vat_on_imports_claimed_lcu,
        returns_by_operator.imports_declared_lcu,
        returns_by_operator.exports_declared_lcu,
        returns_by_operator.excise_declared_lcu,
        coalesce(audits_by_operator.tax_audits, 0) as tax_audits,
        coalesce(audits_by_operator.tax_audits_irregular, 0) as tax_audits_irregular,
        coalesce(audits_by_operator.tax_audits_transfer_pricing, 0) as tax_audits_transfer_pricing,
        coalesce(audits_by_operator.years_with_tax_irregularity, 0) as years_with_tax_irregularity
    from taxpayers
    left join returns_by_operator
        on taxpayers.tin = returns_by_operator.tin
    left join audits_by_operator
        on taxpayers.tin = audits_by_operator.tin
)

select * from final
