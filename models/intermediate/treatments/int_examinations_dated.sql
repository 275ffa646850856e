{#- M10/M21: every staged declaration line examined at clearance, over the whole
    history, with the date the examination closed (the date its finding became known)
    and what it found. Feeds the point-in-time risky lists and the repeat-offender
    history; the join to lines is macro examination_line_join. -#}

with

declarations as (
    select * from {{ ref('stg_customs__declarations') }}
),

examinations as (
    select * from {{ ref('stg_customs__control_results') }}
    where control_type = 'examination'
),

joined as (
    {{ examination_line_join() | indent(4) }}
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
