{#- M21/M10: the GRI of every operator at every evaluation date (each quarter end before
    the as-of date, and the as-of date itself): every active indicator of the catalogue
    evaluated over the window ending at that date (int_operator_indicator_values_dated),
    weighted with the current selected global weights and summed as the current GRI
    (macro gri_weighted_sum). At the current as-of date it equals operator_gri (a test).
    An operator appears at a date when it declared in the window ending there. -#}

with

operator_counts as (
    select
        as_of_date,
        tin,
        lines
    from {{ ref('int_operator_counts_dated') }}
),

flags as (
    select * from {{ ref('int_operator_indicator_values_dated') }}
),

selected_weights as (
    select
        indicator_code,
        final_weight
    from {{ ref('int_indicator_weights') }}
    where is_selected_technique and gri_type = 'global'
),

weighted as (
    select
        flags.as_of_date,
        flags.tin,
        sum(flags.flag) as flags_raised,
        {{ gri_weighted_sum('selected_weights.final_weight', 'flags.flag', 'flags.indicator_code') }} as gri
    from flags
    left join selected_weights
        on flags.indicator_code = selected_weights.indicator_code
    group by flags.as_of_date, flags.tin
),

final as (
    select
        operator_counts.tin,
        operator_counts.as_of_date as period_end,
        cast(operator_counts.lines as integer) as lines_in_window,
        cast(coalesce(weighted.flags_raised, 0) as integer) as flags_raised,
        {{ round_double('coalesce(weighted.gri, 0)', 6) }} as gri
    from operator_counts
    left join weighted
        on operator_counts.as_of_date = weighted.as_of_date
            and operator_counts.tin = weighted.tin
)

select * from final
