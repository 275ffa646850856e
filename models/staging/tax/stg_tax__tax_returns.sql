with

source as (
    select * from {{ ref('base_tax__tax_returns') }}
    where _reject_reasons = ''
),

renamed as (
    select
        -- ids
        tin,
        period_start,
        -- flags
        filed as is_filed,
        -- amounts (LCU)
        vat_on_imports_claimed as vat_on_imports_claimed_lcu,
        imports_declared as imports_declared_lcu,
        exports_declared as exports_declared_lcu,
        excise_declared as excise_declared_lcu
    from source
)

select * from renamed
