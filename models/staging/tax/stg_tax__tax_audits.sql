with

source as (
    select * from {{ ref('base_tax__tax_audits') }}
    where _reject_reasons = ''
),

renamed as (
    select
        audit_id,
        tin,
        audit_date,
        irregularity_found as has_irregularity,
        transfer_pricing_adjustment as has_transfer_pricing_adjustment,
        amount_assessed as amount_assessed_lcu
    from source
)

select * from renamed
