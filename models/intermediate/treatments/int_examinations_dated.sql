{#- M10/M21: every staged declaration line examined at clearance, over the whole
    history, with the date the examination closed (the date its finding became known)
    and what it found. Feeds the point-in-time risky lists and the repeat-offender
    history; an examination without item_no covers every line of its declaration. -#}

with

declarations as (
    select * from {{ ref('stg_customs__declarations') }}
),

examinations as (
    select * from {{ ref('stg_customs__control_results') }}
    where control_type = 'examination'
),

joined as (
    select
        declarations.declaration_id,
        declarations.item_no,
        declarations.tin,
        declarations.declarant_id,
        declarations.hs_code,
        declarations.origin_country,
        declarations.flow,
        declarations.declaration_date,
        examinations.control_date,
        examinations.is_irregular,
        examinations.is_serious,
        examinations.amount_reassessed_lcu
    from examinations
    inner join declarations
        on examinations.declaration_id = declarations.declaration_id
            and (examinations.item_no is null or examinations.item_no = declarations.item_no)
),

final as (
    select
        declaration_id,
        item_no,
        tin,
        declarant_id,
        hs_code,
        origin_country,
        flow,
        declaration_date,
        max(control_date) as control_date,
        cast({{ dbt.date_trunc('month', 'max(control_date)') }} as date) as control_month,
        max(case when is_irregular then 1 else 0 end) = 1 as is_irregular,
        max(case when is_serious then 1 else 0 end) = 1 as is_serious,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu
    from joined
    group by declaration_id, item_no, tin, declarant_id, hs_code, origin_country, flow, declaration_date
)

select * from final
