{#- The rule that says which declaration lines an examination covers, in one place for
    int_examined_lines (the window) and int_examinations_dated (all history): an
    examination naming an item covers that line; one without item_no covers every line
    of its declaration (as macro control_covers_line says for a join of pairs). Renders four CTEs for the caller's WITH list, ending with
    `examined_lines_matched`: one row per covered line of `lines_relation` with its line
    columns and the findings of the examinations of `examinations_relation` that cover
    it (latest control_date, irregular, serious, valuation or classification finding,
    amount reassessed). The examinations are summed per item and per whole declaration
    first (small), then the lines are read once and matched to both (issue 7). -#}
{% macro examined_line_ctes(lines_relation, examinations_relation) -%}
examination_findings as (
    -- item_no null = an examination of the whole declaration, its own group
    select
        declaration_id,
        item_no,
        max(control_date) as control_date,
        max(case when is_irregular then 1 else 0 end) as irregular_flag,
        max(case when is_serious then 1 else 0 end) as serious_flag,
        -- offence types of var sensitive_adjustment_offences (M8 sensitive HS codes)
        max(case when offence_type in ('{{ var('sensitive_adjustment_offences') | join("', '") }}') then 1 else 0 end)
            as value_or_classification_flag,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu
    from {{ examinations_relation }}
    where control_type = 'examination'
    group by declaration_id, item_no
),

item_findings as (
    select * from examination_findings
    where item_no is not null
),

declaration_findings as (
    select * from examination_findings
    where item_no is null
),

examined_lines_matched as (
    select
        declarations.declaration_id,
        declarations.item_no,
        declarations.tin,
        declarations.declarant_id,
        declarations.hs_code,
        declarations.origin_country,
        declarations.flow,
        declarations.declaration_date,
        -- the later closing date of the two kinds of examination (ignoring a missing one)
        case
            when item_findings.control_date is null then declaration_findings.control_date
            when declaration_findings.control_date is null then item_findings.control_date
            when item_findings.control_date > declaration_findings.control_date then item_findings.control_date
            else declaration_findings.control_date
        end as control_date,
        coalesce(item_findings.irregular_flag, 0) = 1
        or coalesce(declaration_findings.irregular_flag, 0) = 1 as is_irregular,
        coalesce(item_findings.serious_flag, 0) = 1
        or coalesce(declaration_findings.serious_flag, 0) = 1 as is_serious,
        coalesce(item_findings.value_or_classification_flag, 0) = 1
        or coalesce(declaration_findings.value_or_classification_flag, 0) = 1 as has_value_or_classification_finding,
        -- the sum over both kinds; null only when no examination has an amount
        case
            when item_findings.amount_reassessed_lcu is null then declaration_findings.amount_reassessed_lcu
            when declaration_findings.amount_reassessed_lcu is null then item_findings.amount_reassessed_lcu
            else item_findings.amount_reassessed_lcu + declaration_findings.amount_reassessed_lcu
        end as amount_reassessed_lcu
    from {{ lines_relation }} as declarations
    left join item_findings
        on declarations.declaration_id = item_findings.declaration_id
            and declarations.item_no = item_findings.item_no
    left join declaration_findings
        on declarations.declaration_id = declaration_findings.declaration_id
    where item_findings.declaration_id is not null or declaration_findings.declaration_id is not null
)
{%- endmacro %}
