-- M21/M5: the GRI history evaluated at the current as-of date is the current global GRI
-- of every operator (same operators, same value): the history is the current rule at
-- other dates, not a second formula.
with

operator_gri as (
    select * from {{ ref('operator_gri') }}
    where gri_type = 'global'
),

quarterly_gri as (
    select * from {{ ref('int_operator_gri_quarterly') }}
),

at_as_of as (
    select quarterly_gri.*
    from quarterly_gri
    inner join {{ ref('int_evaluation_window') }} as evaluation_window
        on quarterly_gri.period_end = evaluation_window.as_of_date
),

final as (
    select
        coalesce(operator_gri.tin, at_as_of.tin) as tin,
        operator_gri.gri as current_gri,
        at_as_of.gri as history_gri
    from operator_gri
    full outer join at_as_of
        on operator_gri.tin = at_as_of.tin
    where operator_gri.tin is null
        or at_as_of.tin is null
        or abs(operator_gri.gri - at_as_of.gri) > 1e-9
)

select * from final
