{#- One row per declaration line examined at clearance in the window, with what was
    found. An examination without item_no covers every line of its declaration. -#}

with

declarations as (
    select * from {{ ref('int_declarations_in_window') }}
),

examinations as (
    select * from {{ ref('int_controls_in_window') }}
    where control_type = 'examination'
),

examined_items as (
    -- examinations naming the line they examined
    select
        declarations.declaration_id,
        declarations.item_no,
        declarations.tin,
        declarations.declarant_id,
        declarations.hs_code,
        declarations.origin_country,
        declarations.flow,
        declarations.declaration_date,
        examinations.is_irregular,
        examinations.is_serious,
        examinations.offence_type,
        examinations.amount_reassessed_lcu
    from examinations
    inner join declarations
        on examinations.declaration_id = declarations.declaration_id
            and examinations.item_no = declarations.item_no
),

examined_declarations as (
    -- examinations of a whole declaration cover each of its lines; two equality joins
    -- instead of one join with an 'or' keep both hash joins
    select
        declarations.declaration_id,
        declarations.item_no,
        declarations.tin,
        declarations.declarant_id,
        declarations.hs_code,
        declarations.origin_country,
        declarations.flow,
        declarations.declaration_date,
        examinations.is_irregular,
        examinations.is_serious,
        examinations.offence_type,
        examinations.amount_reassessed_lcu
    from examinations
    inner join declarations
        on examinations.declaration_id = declarations.declaration_id
    where examinations.item_no is null
),

joined as (
    select * from examined_items
    union all
    select * from examined_declarations
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
        max(case when is_irregular then 1 else 0 end) = 1 as is_irregular,
        max(case when is_serious then 1 else 0 end) = 1 as is_serious,
        max(case when offence_type in ('valuation', 'misclassification') then 1 else 0 end) = 1
            as has_value_or_classification_finding,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu
    from joined
    group by declaration_id, item_no, tin, declarant_id, hs_code, origin_country, flow, declaration_date
)

select * from final
