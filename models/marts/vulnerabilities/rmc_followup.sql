-- M22: follow-up of risk-management committee decisions (note Annex 4): status, days to due or
-- overdue against var('as_of_date') (current_date when null) and the linked indicator's last move.
{%- set as_of_date = var('as_of_date', none) %}

with

rmc_decisions as (
    select * from {{ ref('rmc_decisions') }}
),

vulnerability_progress as (
    select * from {{ ref('vulnerability_progress') }}
),

run_date as (
    select
        {% if as_of_date %}cast('{{ as_of_date }}' as date){% else %}current_date{% endif %} as as_of_date
),

progress_ordered as (
    select
        indicator_id,
        period,
        pct,
        row_number() over (partition by indicator_id order by period desc) as period_recency
    from vulnerability_progress
),

latest_progress as (
    select
        latest.indicator_id,
        latest.period as latest_period,
        latest.pct as latest_pct,
        previous.period as previous_period,
        previous.pct as previous_pct,
        {{ round_double('latest.pct - previous.pct', 1) }} as pct_change
    from progress_ordered as latest
    left join progress_ordered as previous
        on
            latest.indicator_id = previous.indicator_id
            and previous.period_recency = 2
    where latest.period_recency = 1
),

decisions_dated as (
    select
        rmc_decisions.*,
        run_date.as_of_date,
        {{ dbt.datediff('run_date.as_of_date', 'rmc_decisions.due_date', 'day') }} as days_to_due,
        rmc_decisions.status in ('open', 'in_progress') as is_open
    from rmc_decisions
    cross join run_date
),

flagged as (
    select
        decisions_dated.*,
        coalesce(decisions_dated.is_open and decisions_dated.due_date < decisions_dated.as_of_date, false)
            as is_overdue
    from decisions_dated
),

joined as (
    select
        flagged.decision_id,
        flagged.decision_date,
        flagged.decision,
        flagged.owner_unit,
        flagged.due_date,
        flagged.status,
        flagged.is_open,
        flagged.is_overdue,
        flagged.as_of_date,
        flagged.days_to_due,
        case when flagged.is_overdue then -flagged.days_to_due else 0 end as days_overdue,
        flagged.linked_vulnerability_id,
        flagged.linked_measure_id,
        flagged.linked_indicator_id,
        latest_progress.latest_period,
        latest_progress.latest_pct,
        latest_progress.previous_period,
        latest_progress.previous_pct,
        latest_progress.pct_change
    from flagged
    left join latest_progress
        on flagged.linked_indicator_id = latest_progress.indicator_id
),

final as (
    select
        cast(decision_id as {{ dbt.type_string() }}) as decision_id,
        cast(
            row_number() over (
                order by is_overdue desc, is_open desc, due_date asc nulls last, decision_id asc
            ) as integer
        ) as followup_order,
        cast(decision_date as date) as decision_date,
        cast(decision as {{ dbt.type_string() }}) as decision,
        cast(owner_unit as {{ dbt.type_string() }}) as owner_unit,
        cast(due_date as date) as due_date,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(is_open as boolean) as is_open,
        cast(is_overdue as boolean) as is_overdue,
        cast(as_of_date as date) as as_of_date,
        cast(days_to_due as integer) as days_to_due,
        cast(days_overdue as integer) as days_overdue,
        cast(linked_vulnerability_id as {{ dbt.type_string() }}) as linked_vulnerability_id,
        cast(linked_measure_id as {{ dbt.type_string() }}) as linked_measure_id,
        cast(linked_indicator_id as {{ dbt.type_string() }}) as linked_indicator_id,
        cast(latest_period as {{ dbt.type_string() }}) as latest_period,
        cast(latest_pct as {{ type_double() }}) as latest_pct,
        cast(previous_period as {{ dbt.type_string() }}) as previous_period,
        cast(previous_pct as {{ type_double() }}) as previous_pct,
        cast(pct_change as {{ type_double() }}) as pct_change
    from joined
)

select {{ stable_select() }} from final
order by followup_order
