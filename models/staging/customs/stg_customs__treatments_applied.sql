with

source as (
    select * from {{ ref('base_customs__treatments_applied') }}
    where _reject_reasons = ''
),

renamed as (
    select
        treatment_code,
        tin,
        start_date as treatment_start_date
    from source
)

select * from renamed
