with

source as (
    select * from {{ ref('base_reference__hs_nomenclature') }}
    where _reject_reasons = ''
),

renamed as (
    select
        -- ids
        hs_code,
        substr(hs_code, 1, 2) as hs_chapter,
        substr(hs_code, 1, 6) as hs_subheading,
        -- strings
        description as hs_description,
        supplementary_unit,
        -- flags
        is_residual,
        coalesce(is_restricted, false) as is_restricted,
        -- rates
        duty_rate,
        vat_rate,
        excise_rate
    from source
)

select * from renamed
