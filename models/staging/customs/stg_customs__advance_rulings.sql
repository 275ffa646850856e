with

source as (
    select * from {{ ref('base_customs__advance_rulings') }}
    where _reject_reasons = ''
),

renamed as (
    select
        ruling_id,
        tin,
        ruling_type,
        hs_code,
        ruling_date
    from source
)

select * from renamed
