{#- One row per declaration line examined at clearance in the window, with what was
    found. Which lines an examination covers is macro examined_line_ctes (also used by
    int_examinations_dated over the whole history): here the window's lines and the
    examinations closed in the window. -#}

with

{{ examined_line_ctes(ref('int_declarations_in_window'), ref('int_controls_in_window')) }},

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
        is_irregular,
        is_serious,
        has_value_or_classification_finding,
        amount_reassessed_lcu
    from examined_lines_matched
)

select * from final
