{#- M18 (note Box 2, tactical level): the value of each tactical KPI per period grain,
    period and dimension, before the period-on-period comparison: the union of one
    model per KPI family (models/intermediate/kpi/tactical/), and the advance rulings'
    share of declarations, the one KPI that divides two families' counts. -#}

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

-- advance rulings per declaration of the period: the two families' counts
rulings_share as (
    select
        advance_rulings.period_grain,
        advance_rulings.period_start,
        'advance_rulings_share_of_declarations' as kpi_code,
        advance_rulings.dimension_name,
        advance_rulings.dimension_value,
        {{ safe_divide('advance_rulings.kpi_value', 'channels.kpi_value') }} as kpi_value
    from advance_rulings
    inner join channels
        on advance_rulings.period_grain = channels.period_grain
            and advance_rulings.period_start = channels.period_start
    where channels.kpi_code = 'declarations_count'
        and channels.dimension_value = 'all'
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
    select * from rulings_share
    union all
    select * from risk_levels
)

select * from final
