-- depends_on: {{ ref('stg_tax__taxpayers') }}
{{ config(materialized='table') }}
{#- A table, not a view like the other base models: it has about one row per declaration
    line examined or per operator-month, and a dozen models read its staging view, which
    would otherwise redo the contract checks and duplicate windows each time (issue 7).
    A control must belong (issue 16): one naming a declaration must name a staged
    declaration (and a staged line when item_no is given) of the same operator, dated
    on or after it; one without a declaration must name an operator with a staged
    declaration line. An examination whose line was quarantined is quarantined too. -#}
{%- set declarations = ref('base_customs__declarations') %}

with

checked as (
    {{ checked_source('customs', 'control_results', extra_reasons=[
        "case when tin is not null and not " ~ regexp_like('tin', var('tin_pattern')) ~ " then 'tin malformed' end",
        "case when control_type = 'examination' and declaration_id is null then 'examination without declaration_id' end",
        "case when outcome = 'irregularity' and offence_type is null then 'irregularity without offence_type' end",
        "case when item_no < 1 then 'item_no not positive' end",
        "case when amount_reassessed < 0 or amount_collected < 0 then 'negative amount' end",
    ]) | indent(4) }}
),

named_declarations as (
    select distinct declaration_id
    from checked
    where declaration_id is not null
),

declaration_rows as (
    -- every stored row of the declarations the controls name (a semi-join: the
    -- declarations table is probed, not scanned whole into memory)
    select
        lines.declaration_id,
        lines.item_no,
        lines.tin,
        lines.declaration_date,
        lines._row_status
    from {{ declarations }} as lines
    inner join named_declarations
        on lines.declaration_id = named_declarations.declaration_id
),

declaration_status as (
    select
        declaration_id,
        max(case when _row_status = 'staged' then 1 else 0 end) as has_staged_line,
        min(case when _row_status = 'staged' then declaration_date end) as first_staged_date,
        max(case when _row_status = 'staged' then tin end) as declaration_tin,
        count(distinct case when _row_status = 'staged' then tin end) as staged_tins
    from declaration_rows
    group by declaration_id
),

line_status as (
    select
        declaration_id,
        item_no,
        max(case when _row_status = 'staged' then 1 else 0 end) as has_staged_line
    from declaration_rows
    where item_no is not null
    group by declaration_id, item_no
),

operators as (
    select distinct tin
    from {{ declarations }}
    where _row_status = 'staged'
),

belonging as (
    select
        checked.*,
        concat_ws(
            '; ',
            nullif(checked._reject_reasons, ''),
            case
                when checked.declaration_id is null then null
                when declaration_status.declaration_id is null then 'declaration_id not a known declaration'
                when declaration_status.has_staged_line = 0 then 'declaration quarantined (no staged line)'
                when checked.item_no is not null and line_status.declaration_id is null
                    then 'declaration line (declaration_id, item_no) not a known line'
                when checked.item_no is not null and line_status.has_staged_line = 0 then 'declaration line quarantined'
            end,
            case
                when checked.tin is not null and declaration_status.staged_tins = 1
                    and checked.tin <> declaration_status.declaration_tin
                    then {{ text_literal("tin differs from the declaration's tin") }}
            end,
            case
                when checked.control_date < declaration_status.first_staged_date then 'control_date before the declaration date'
            end,
            case
                when checked.declaration_id is null and checked.tin is not null and operators.tin is null
                    then 'tin not a known operator (no staged declaration)'
            end
        ) as _belonging_reasons
    from checked
    left join declaration_status
        on checked.declaration_id = declaration_status.declaration_id
    left join line_status
        on checked.declaration_id = line_status.declaration_id
            and checked.item_no = line_status.item_no
    left join operators
        on checked.tin = operators.tin
)

select
    {% for column in contract_column_names('customs', 'control_results') -%}
        {{ column }},
    {% endfor -%}
    _cast_errors,
    _source_file,
    {% for item in leading_zero_columns('customs', 'control_results') -%}
        {{ item['column'] }}_as_delivered,
    {% endfor -%}
    _belonging_reasons as _reject_reasons
from belonging
