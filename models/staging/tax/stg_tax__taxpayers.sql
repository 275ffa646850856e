with

source as (
    select * from {{ ref('base_tax__taxpayers') }}
    where _reject_reasons = ''
),

renamed as (
    select
        tin,
        isic_code,
        status as taxpayer_status,
        registration_date
    from source
)

select * from renamed
