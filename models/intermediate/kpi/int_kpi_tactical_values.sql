{#- M18 (note Box 2, tactical level): the value of each tactical KPI per period grain,
    period and dimension, before the period-on-period comparison: the union of one
    model per KPI family (models/intermediate/kpi/tactical/). -#}

with

aeo_shares as (
    select * from {{ ref('int_kpi_tactical_aeo_shares') }}
),

channels as (
    select * from {{ ref('int_kpi_tactical_channels') }}
),

hit_rates as (
    select * from {{ ref('int_kpi_tactical_hit_rates') }}
),

repeat_offenders as (
    select * from {{ ref('int_kpi_tactical_repeat_offenders') }}
),

advance_rulings as (
    select * from {{ ref('int_kpi_tactical_advance_rulings') }}
),

risk_levels as (
    select * from {{ ref('int_kpi_tactical_risk_levels') }}
),

final as (
    select * from aeo_shares
    union all
    select * from channels
    union all
    select * from hit_rates
    union all
    select * from repeat_offenders
    union all
    select * from advance_rulings
    union all
    select * from risk_levels
)

select * from final
