{#- One row per declaration line examined at clearance in the window, with what was
    found. An examination without item_no covers every line of its declaration. -#}

with

declarations as (
    -- only the columns the join returns: both of its branches read this set
    select
        declaration_id,
        item_no,
        tin,
        declarant_id,
        hs_code,
        origin_country,
        flow,
        declaration_date
    from {{ ref('int_declarations_in_window') }}
),

examinations as (
    select * from {{ ref('int_controls_in_window') }}
    where control_type = 'examination'
),

joined as (
    {{ examination_line_join() | indent(4) }}
),

final as (
    -- grouped by the line key alone: the other line columns depend on it
    select
        declaration_id,
        item_no,
        max(tin) as tin,
        max(declarant_id) as declarant_id,
        max(hs_code) as hs_code,
        max(origin_country) as origin_country,
        max(flow) as flow,
        max(declaration_date) as declaration_date,
        max(case when is_irregular then 1 else 0 end) = 1 as is_irregular,
        max(case when is_serious then 1 else 0 end) = 1 as is_serious,
        max(case when offence_type in ('valuation', 'misclassification') then 1 else 0 end) = 1
            as has_value_or_classification_finding,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu
    from joined
    group by declaration_id, item_no
)

select * from final
