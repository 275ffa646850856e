{#- M21: how many operators moved between risk levels from one quarter end to the
    next. Operators without declarations in the trailing window at one of the two
    dates appear with level 'inactive'. -#}

with

history as (
    select * from {{ ref('risk_level_history') }}
),

periods as (
    select distinct period_end from history
),

consecutive as (
    select
        period_end as period_from,
        lead(period_end) over (order by period_end) as period_to
    from periods
),

pairs as (
    select
        consecutive.period_from,
        consecutive.period_to
    from consecutive
    where consecutive.period_to is not null
),

level_from as (
    select
        pairs.period_from,
        pairs.period_to,
        history.tin,
        history.risk_level
    from pairs
    inner join history
        on pairs.period_from = history.period_end
),

level_to as (
    select
        pairs.period_from,
        pairs.period_to,
        history.tin,
        history.risk_level
    from pairs
    inner join history
        on pairs.period_to = history.period_end
),

moves as (
    select
        coalesce(level_from.period_from, level_to.period_from) as period_from,
        coalesce(level_from.period_to, level_to.period_to) as period_to,
        coalesce(level_from.risk_level, 'inactive') as level_from,
        coalesce(level_to.risk_level, 'inactive') as level_to
    from level_from
    full outer join level_to
        on level_from.period_from = level_to.period_from
            and level_from.tin = level_to.tin
),

final as (
    select
        period_from,
        period_to,
        level_from,
        level_to,
        level_from = level_to as is_unchanged,
        cast(count(*) as integer) as operators
    from moves
    group by period_from, period_to, level_from, level_to
)

select {{ stable_select() }} from final
