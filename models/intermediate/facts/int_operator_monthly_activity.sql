{{ config(
    materialized='incremental',
    unique_key=['tin', 'declaration_month'],
    incremental_strategy='delete+insert',
    pre_hook="{% if is_incremental() %}"
        ~ "delete from {{ this }} where (tin, declaration_month) in ("
        ~ "select tin, declaration_month from {{ ref('base_customs__declarations') }} where _load_seq = ("
        ~ "select max(_load_seq) from {{ ref('base_customs__declarations') }}))"
        ~ "{% endif %}",
) }}
{#- M1/M2 (issue 7): monthly activity of every operator and flow from the staged
    declaration lines: lines, declarations, values and taxes (USD and LCU), exempt
    and residual-HS line counts. Incremental on (operator, month): a run recomputes
    only the pairs touched by the base rows of the latest load, including the pair of
    a line whose late correction moved it or replaced it; the pre-hook first deletes
    those pairs, so a pair left without lines disappears as in a full refresh
    (docs/incremental.md). -#}
-- depends_on: {{ ref('base_customs__declarations') }}

with

{% if is_incremental() -%}
    touched_operator_months as (
        -- base rows of the latest load: new lines and the earlier versions they replace
        select distinct
            tin,
            declaration_month
        from {{ ref('base_customs__declarations') }}
        where _load_seq = (select max(_load_seq) from {{ ref('base_customs__declarations') }})
    ),
{%- endif %}

declarations as (
    select staged.*
    from {{ ref('stg_customs__declarations') }} as staged
    {% if is_incremental() -%}
        inner join touched_operator_months
            on staged.tin = touched_operator_months.tin
                and staged.declaration_month = touched_operator_months.declaration_month
    {%- endif %}
),

nomenclature as (
    select
        hs_code,
        is_residual
    from {{ ref('stg_reference__hs_nomenclature') }}
),

lines as (
    select
        declarations.tin,
        declarations.declaration_month,
        declarations.flow,
        declarations.declaration_id,
        declarations.declaration_date,
        declarations.is_exempt,
        coalesce(nomenclature.is_residual, false) as is_residual,
        declarations.customs_value_usd,
        declarations.customs_value_lcu,
        declarations.duty_paid_usd,
        declarations.vat_paid_usd,
        declarations.excise_paid_usd,
        declarations.duty_paid_lcu,
        declarations.vat_paid_lcu,
        declarations.excise_paid_lcu
    from declarations
    left join nomenclature
        on declarations.hs_code = nomenclature.hs_code
),

final as (
    select
        tin,
        declaration_month,
        flow,
        count(*) as lines,
        count(distinct declaration_id) as declarations,
        min(declaration_date) as first_declaration_date,
        max(declaration_date) as last_declaration_date,
        sum(case when is_exempt then 1 else 0 end) as exempt_lines,
        sum(case when is_residual then 1 else 0 end) as residual_lines,
        sum(customs_value_usd) as customs_value_usd,
        sum(customs_value_lcu) as customs_value_lcu,
        sum(duty_paid_usd) as duty_paid_usd,
        sum(vat_paid_usd) as vat_paid_usd,
        sum(excise_paid_usd) as excise_paid_usd,
        sum(duty_paid_lcu) as duty_paid_lcu,
        sum(vat_paid_lcu) as vat_paid_lcu,
        sum(excise_paid_lcu) as excise_paid_lcu
    from lines
    group by tin, declaration_month, flow
)

select * from final
