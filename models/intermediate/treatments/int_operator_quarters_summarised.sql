{#- M10/M21: per operator and calendar quarter, what happened in the quarter: lines
    and their point-in-time transaction flags (by declaration date), examinations and
    offences (customs irregular controls, examination or PCA, by the date the control
    closed), tax returns due and filed (by period) and tax audit findings (by audit
    date). Small: the trailing-window history models sum it over quarters. -#}

with

lines as (
    select * from {{ ref('int_declaration_lines_flagged') }}
),

examinations as (
    select * from {{ ref('int_examinations_dated') }}
),

controls as (
    select * from {{ ref('stg_customs__control_results') }}
    where tin is not null
),

tax_returns as (
    select * from {{ ref('stg_tax__tax_returns') }}
),

tax_audits as (
    select * from {{ ref('stg_tax__tax_audits') }}
),

activity as (
    select
        tin,
        quarter_start,
        count(*) as lines,
        sum(case when flow = 'I' then 1 else 0 end) as import_lines,
        sum(case when is_risky_broker then 1 else 0 end) as lines_risky_broker,
        sum(case when is_risky_hs then 1 else 0 end) as lines_risky_hs,
        sum(case when is_risky_origin then 1 else 0 end) as import_lines_risky_origin,
        sum(case when has_unit_value_norm then 1 else 0 end) as import_lines_with_norm,
        sum(case when is_below_unit_value_norm then 1 else 0 end) as import_lines_below_norm,
        0 as examined_lines,
        0 as serious_examined_lines,
        0 as offences,
        0 as amount_reassessed_lcu,
        0 as returns_due,
        0 as returns_filed,
        0 as tax_audits_irregular,
        0 as tax_audits_transfer_pricing
    from lines
    group by tin, quarter_start
),

examined as (
    select
        tin,
        cast({{ dbt.date_trunc('quarter', 'control_date') }} as date) as quarter_start,
        0 as lines,
        0 as import_lines,
        0 as lines_risky_broker,
        0 as lines_risky_hs,
        0 as import_lines_risky_origin,
        0 as import_lines_with_norm,
        0 as import_lines_below_norm,
        count(*) as examined_lines,
        sum(case when is_serious then 1 else 0 end) as serious_examined_lines,
        0 as offences,
        0 as amount_reassessed_lcu,
        0 as returns_due,
        0 as returns_filed,
        0 as tax_audits_irregular,
        0 as tax_audits_transfer_pricing
    from examinations
    group by tin, cast({{ dbt.date_trunc('quarter', 'control_date') }} as date)
),

offences as (
    select
        tin,
        cast({{ dbt.date_trunc('quarter', 'control_date') }} as date) as quarter_start,
        0 as lines,
        0 as import_lines,
        0 as lines_risky_broker,
        0 as lines_risky_hs,
        0 as import_lines_risky_origin,
        0 as import_lines_with_norm,
        0 as import_lines_below_norm,
        0 as examined_lines,
        0 as serious_examined_lines,
        count(*) as offences,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu,
        0 as returns_due,
        0 as returns_filed,
        0 as tax_audits_irregular,
        0 as tax_audits_transfer_pricing
    from controls
    where is_irregular
    group by tin, cast({{ dbt.date_trunc('quarter', 'control_date') }} as date)
),

returns as (
    select
        tin,
        cast({{ dbt.date_trunc('quarter', 'period_start') }} as date) as quarter_start,
        0 as lines,
        0 as import_lines,
        0 as lines_risky_broker,
        0 as lines_risky_hs,
        0 as import_lines_risky_origin,
        0 as import_lines_with_norm,
        0 as import_lines_below_norm,
        0 as examined_lines,
        0 as serious_examined_lines,
        0 as offences,
        0 as amount_reassessed_lcu,
        count(*) as returns_due,
        sum(case when is_filed then 1 else 0 end) as returns_filed,
        0 as tax_audits_irregular,
        0 as tax_audits_transfer_pricing
    from tax_returns
    group by tin, cast({{ dbt.date_trunc('quarter', 'period_start') }} as date)
),

audits as (
    select
        tin,
        cast({{ dbt.date_trunc('quarter', 'audit_date') }} as date) as quarter_start,
        0 as lines,
        0 as import_lines,
        0 as lines_risky_broker,
        0 as lines_risky_hs,
        0 as import_lines_risky_origin,
        0 as import_lines_with_norm,
        0 as import_lines_below_norm,
        0 as examined_lines,
        0 as serious_examined_lines,
        0 as offences,
        0 as amount_reassessed_lcu,
        0 as returns_due,
        0 as returns_filed,
        sum(case when has_irregularity then 1 else 0 end) as tax_audits_irregular,
        sum(case when has_transfer_pricing_adjustment then 1 else 0 end) as tax_audits_transfer_pricing
    from tax_audits
    group by tin, cast({{ dbt.date_trunc('quarter', 'audit_date') }} as date)
),

unioned as (
    select * from activity
    union all
    select * from examined
    union all
    select * from offences
    union all
    select * from returns
    union all
    select * from audits
),

final as (
    select
        tin,
        quarter_start,
        sum(lines) as lines,
        sum(import_lines) as import_lines,
        sum(lines_risky_broker) as lines_risky_broker,
        sum(lines_risky_hs) as lines_risky_hs,
        sum(import_lines_risky_origin) as import_lines_risky_origin,
        sum(import_lines_with_norm) as import_lines_with_norm,
        sum(import_lines_below_norm) as import_lines_below_norm,
        sum(examined_lines) as examined_lines,
        sum(serious_examined_lines) as serious_examined_lines,
        sum(offences) as offences,
        sum(amount_reassessed_lcu) as amount_reassessed_lcu,
        sum(returns_due) as returns_due,
        sum(returns_filed) as returns_filed,
        sum(tax_audits_irregular) as tax_audits_irregular,
        sum(tax_audits_transfer_pricing) as tax_audits_transfer_pricing
    from unioned
    where quarter_start is not null
    group by tin, quarter_start
)

select * from final
