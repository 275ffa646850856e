with

source as (
    select * from {{ ref('base_reference__exchange_rates') }}
    where _reject_reasons = ''
),

renamed as (
    select
        currency,
        month_start,
        usd_per_unit
    from source
)

select * from renamed
