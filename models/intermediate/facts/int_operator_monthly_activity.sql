{{ config(
    materialized='incremental' if target.type == 'duckdb' else 'table',
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
{%- set staged_lines -%}
    select staged.*
    from {{ ref('stg_customs__declarations') }} as staged
    {% if is_incremental() -%}
        inner join touched_operator_months
            on staged.tin = touched_operator_months.tin
                and staged.declaration_month = touched_operator_months.declaration_month
    {%- endif %}
{%- endset %}


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
    {{ staged_lines | indent(4) }}
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

line_totals as (
    select
        tin,
        declaration_month,
        flow,
        count(*) as lines,
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
),

declaration_counts as (
    -- apart and from its own read of the lines: a count(distinct) next to the sums
    -- above, or a second reader of the CTE, would make the engine hold every line
    select
        tin,
        declaration_month,
        flow,
        count(distinct declaration_id) as declarations
    from ({{ staged_lines }}) as staged_lines
    group by tin, declaration_month, flow
),

final as (
    select
        line_totals.tin,
        line_totals.declaration_month,
        line_totals.flow,
        line_totals.lines,
        declaration_counts.declarations,
        line_totals.first_declaration_date,
        line_totals.last_declaration_date,
        line_totals.exempt_lines,
        line_totals.residual_lines,
        line_totals.customs_value_usd,
        line_totals.customs_value_lcu,
        line_totals.duty_paid_usd,
        line_totals.vat_paid_usd,
        line_totals.excise_paid_usd,
        line_totals.duty_paid_lcu,
        line_totals.vat_paid_lcu,
        line_totals.excise_paid_lcu
    from line_totals
    inner join declaration_counts
        on line_totals.tin = declaration_counts.tin
            and line_totals.declaration_month = declaration_counts.declaration_month
            and line_totals.flow = declaration_counts.flow
)

select * from final
