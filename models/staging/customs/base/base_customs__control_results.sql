{{ config(materialized='table') }}
{#- A table, not a view like the other base models: it has about one row per declaration
    line examined or per operator-month, and a dozen models read its staging view, which
    would otherwise redo the contract checks and duplicate windows each time (issue 7). -#}
{{ checked_source('customs', 'control_results', extra_reasons=[
    "case when tin is not null and not " ~ regexp_like('tin', var('tin_pattern')) ~ " then 'tin malformed' end",
    "case when control_type = 'examination' and declaration_id is null then 'examination without declaration_id' end",
    "case when outcome = 'irregularity' and offence_type is null then 'irregularity without offence_type' end",
    "case when amount_reassessed < 0 or amount_collected < 0 then 'negative amount' end",
]) }}
