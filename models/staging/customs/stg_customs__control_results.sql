with

source as (
    select * from {{ ref('base_customs__control_results') }}
    where _reject_reasons = ''
),

renamed as (
    select
        -- ids
        control_id,
        tin,
        declaration_id,
        item_no,
        -- strings
        control_type,
        audit_scope,
        outcome,
        offence_type,
        seriousness,
        selection_method,
        -- flags
        outcome = 'irregularity' as is_irregular,
        coalesce(seriousness = 'serious', false) as is_serious,
        -- amounts (LCU)
        coalesce(amount_reassessed, 0) as amount_reassessed_lcu,
        coalesce(amount_collected, 0) as amount_collected_lcu,
        -- dates
        control_date
    from source
)

select * from renamed
