with

source as (
    select * from {{ ref('base_reference__isic_hs_concordance') }}
    where _reject_reasons = ''
),

renamed as (
    select
        isic_code,
        hs_chapter
    from source
)

select * from renamed
