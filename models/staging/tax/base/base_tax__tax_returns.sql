-- depends_on: {{ ref('stg_tax__taxpayers') }}
{{ config(materialized='table') }}
{#- A table, not a view like the other base models: it has about one row per declaration
    line examined or per operator-month, and a dozen models read its staging view, which
    would otherwise redo the contract checks and duplicate windows each time (issue 7). -#}
{{ checked_source('tax', 'tax_returns', extra_reasons=[
    "case when tin is not null and not " ~ regexp_like('tin', var('tin_pattern')) ~ " then 'tin malformed' end",
    "case when vat_on_imports_claimed < 0 or imports_declared < 0 or exports_declared < 0 or excise_declared < 0 then 'negative amount' end",
    "case when period_start <> " ~ dbt.date_trunc('month', 'period_start') ~ " then 'period_start not the first day of a month' end",
]) }}
