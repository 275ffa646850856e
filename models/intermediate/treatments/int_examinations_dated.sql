{#- M10/M21: every staged declaration line examined at clearance, over the whole
    history, with the date the examination closed (the date its finding became known)
    and what it found. Feeds the point-in-time risky lists and the repeat-offender
    history. Which lines an examination covers is macro examined_line_ctes (also used
    by int_examined_lines for the window). -#}

with

{{ examined_line_ctes(ref('stg_customs__declarations'), ref('stg_customs__control_results')) }},

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
        control_date,
        cast({{ dbt.date_trunc('month', 'control_date') }} as date) as control_month,
        is_irregular,
        is_serious,
        amount_reassessed_lcu
    from examined_lines_matched
)

select * from final
