with

source as (
    select * from {{ ref('base_reference__sensitive_goods') }}
    where _reject_reasons = ''
),

renamed as (
    select
        hs_prefix,
        reason as sensitivity_reason
    from source
)

select * from renamed
