with

source as (
    select * from {{ ref('base_reference__country_risk') }}
    where _reject_reasons = ''
),

renamed as (
    select
        country_code,
        country_name,
        risk_rating as country_risk_rating
    from source
)

select * from renamed
