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
        {{- operator_tax_record_columns('returns_by_operator', 'audits_by_operator') }}
    from taxpayers
    left join returns_by_operator
        on taxpayers.tin = returns_by_operator.tin
    left join audits_by_operator
        on taxpayers.tin = audits_by_operator.tin
)

select * from final
