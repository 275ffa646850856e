{#- M10/M21: every staged declaration line examined at clearance, over the whole
    history, with the date the examination closed (the date its finding became known)
    and what it found. Feeds the point-in-time risky lists and the repeat-offender
    history. Same rule as int_examined_lines (an examination naming an item
    covers that line; one without item_no covers every line of its declaration), written
    for speed: the examinations are aggregated per line and per declaration first (small),
    then joined to the lines they cover (two inner joins, each line at most once per
    join) and the two results merged by a full outer join on the line key. No group-by
    on the line columns. -#}

with

findings as (
    -- one read of the control results (a deduplicating view over the raw file);
    -- item_no null = an examination of the whole declaration, its own group
    select
        declaration_id,
        item_no,
        max(control_date) as control_date,
        max(case when is_irregular then 1 else 0 end) as irregular_flag,
        max(case when is_serious then 1 else 0 end) as serious_flag,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu
    from {{ ref('stg_customs__control_results') }}
    where control_type = 'examination'
    group by declaration_id, item_no
),

line_findings as (
    select * from findings
    where item_no is not null
),

declaration_findings as (
    select * from findings
    where item_no is null
),

item_examined as (
    select
        declarations.declaration_id,
        declarations.item_no,
        declarations.tin,
        declarations.declarant_id,
        declarations.hs_code,
        declarations.origin_country,
        declarations.flow,
        declarations.declaration_date,
        line_findings.control_date,
        line_findings.irregular_flag,
        line_findings.serious_flag,
        line_findings.amount_reassessed_lcu
    from {{ ref('stg_customs__declarations') }} as declarations
    inner join line_findings
        on declarations.declaration_id = line_findings.declaration_id
            and declarations.item_no = line_findings.item_no
),

declaration_examined as (
    select
        declarations.declaration_id,
        declarations.item_no,
        declarations.tin,
        declarations.declarant_id,
        declarations.hs_code,
        declarations.origin_country,
        declarations.flow,
        declarations.declaration_date,
        declaration_findings.control_date,
        declaration_findings.irregular_flag,
        declaration_findings.serious_flag,
        declaration_findings.amount_reassessed_lcu
    from {{ ref('stg_customs__declarations') }} as declarations
    inner join declaration_findings
        on declarations.declaration_id = declaration_findings.declaration_id
),

-- a line examined both by item and as part of a whole declaration: one row, both findings
joined as (
    select
        coalesce(item_examined.declaration_id, declaration_examined.declaration_id) as declaration_id,
        coalesce(item_examined.item_no, declaration_examined.item_no) as item_no,
        coalesce(item_examined.tin, declaration_examined.tin) as tin,
        coalesce(item_examined.declarant_id, declaration_examined.declarant_id) as declarant_id,
        coalesce(item_examined.hs_code, declaration_examined.hs_code) as hs_code,
        coalesce(item_examined.origin_country, declaration_examined.origin_country) as origin_country,
        coalesce(item_examined.flow, declaration_examined.flow) as flow,
        coalesce(item_examined.declaration_date, declaration_examined.declaration_date) as declaration_date,
        -- the later of the two closing dates (max ignoring nulls)
        case
            when item_examined.control_date is null then declaration_examined.control_date
            when declaration_examined.control_date is null then item_examined.control_date
            when item_examined.control_date > declaration_examined.control_date then item_examined.control_date
            else declaration_examined.control_date
        end as control_date,
        coalesce(item_examined.irregular_flag, 0) = 1
        or coalesce(declaration_examined.irregular_flag, 0) = 1 as is_irregular,
        coalesce(item_examined.serious_flag, 0) = 1
        or coalesce(declaration_examined.serious_flag, 0) = 1 as is_serious,
        -- sum ignoring nulls, null when both are null
        case
            when item_examined.amount_reassessed_lcu is null then declaration_examined.amount_reassessed_lcu
            when declaration_examined.amount_reassessed_lcu is null then item_examined.amount_reassessed_lcu
            else item_examined.amount_reassessed_lcu + declaration_examined.amount_reassessed_lcu
        end as amount_reassessed_lcu
    from item_examined
    full outer join declaration_examined
        on item_examined.declaration_id = declaration_examined.declaration_id
            and item_examined.item_no = declaration_examined.item_no
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
        control_date,
        cast({{ dbt.date_trunc('month', 'control_date') }} as date) as control_month,
        is_irregular,
        is_serious,
        amount_reassessed_lcu
    from joined
)

select * from final
