{#- One row per declaration line examined at clearance in the window, with what was
    found. An examination naming an item covers that line; one without item_no covers
    every line of its declaration (the same rule as int_examinations_dated). Written for
    speed (issue 7): the window's examinations are first summed per item and per whole
    declaration (small), then the lines are read once and matched to both. -#}

with

findings as (
    -- item_no null = an examination of the whole declaration, its own group
    select
        declaration_id,
        item_no,
        max(case when is_irregular then 1 else 0 end) as irregular_flag,
        max(case when is_serious then 1 else 0 end) as serious_flag,
        max(case when offence_type in ('valuation', 'misclassification') then 1 else 0 end)
            as value_or_classification_flag,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu
    from {{ ref('int_controls_in_window') }}
    where control_type = 'examination'
    group by declaration_id, item_no
),

item_findings as (
    select * from findings
    where item_no is not null
),

declaration_findings as (
    select * from findings
    where item_no is null
),

matched as (
    select
        declarations.declaration_id,
        declarations.item_no,
        declarations.tin,
        declarations.declarant_id,
        declarations.hs_code,
        declarations.origin_country,
        declarations.flow,
        declarations.declaration_date,
        greatest(coalesce(item_findings.irregular_flag, 0), coalesce(declaration_findings.irregular_flag, 0))
            as irregular_flag,
        greatest(coalesce(item_findings.serious_flag, 0), coalesce(declaration_findings.serious_flag, 0))
            as serious_flag,
        greatest(
            coalesce(item_findings.value_or_classification_flag, 0),
            coalesce(declaration_findings.value_or_classification_flag, 0)
        ) as value_or_classification_flag,
        -- the sum over both kinds of examination; null only when no examination has an amount
        case
            when item_findings.amount_reassessed_lcu is not null or declaration_findings.amount_reassessed_lcu is not null
                then coalesce(item_findings.amount_reassessed_lcu, 0) + coalesce(declaration_findings.amount_reassessed_lcu, 0)
        end as amount_reassessed_lcu
    from {{ ref('int_declarations_in_window') }} as declarations
    left join item_findings
        on declarations.declaration_id = item_findings.declaration_id
            and declarations.item_no = item_findings.item_no
    left join declaration_findings
        on declarations.declaration_id = declaration_findings.declaration_id
    where item_findings.declaration_id is not null or declaration_findings.declaration_id is not null
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
        irregular_flag = 1 as is_irregular,
        serious_flag = 1 as is_serious,
        value_or_classification_flag = 1 as has_value_or_classification_finding,
        amount_reassessed_lcu
    from matched
)

select * from final
