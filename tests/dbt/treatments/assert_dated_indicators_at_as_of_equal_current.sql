-- M21/M2: the indicator history evaluated at the current as-of date is the current raw value
-- and flag of every active indicator of every operator (same operators, same values): the
-- line counts are defined once (macros operator_line_measures, operator_line_flags) but
-- rendered two ways, in one pass (int_operator_transactions) and per slice of days and date
-- (int_operator_counts_dated, issue 13), and this test keeps the two renderings equal.
with

current_values as (
    select * from {{ ref('int_operator_indicator_values') }}
),

dated_values as (
    select dated.*
    from {{ ref('int_operator_indicator_values_dated') }} as dated
    inner join {{ ref('int_evaluation_window') }} as evaluation_window
        on dated.as_of_date = evaluation_window.as_of_date
),

final as (
    select
        coalesce(current_values.tin, dated_values.tin) as tin,
        coalesce(current_values.indicator_code, dated_values.indicator_code) as indicator_code,
        current_values.raw_value as current_raw_value,
        dated_values.raw_value as dated_raw_value,
        current_values.flag as current_flag,
        dated_values.flag as dated_flag
    from current_values
    full outer join dated_values
        on current_values.tin = dated_values.tin
            and current_values.indicator_code = dated_values.indicator_code
    where
        current_values.tin is null
        or dated_values.tin is null
        or current_values.flag <> dated_values.flag
        or not (
            (current_values.raw_value is null and dated_values.raw_value is null)
            or abs(current_values.raw_value - dated_values.raw_value)
            <= 1e-9 * greatest(1, abs(current_values.raw_value), abs(dated_values.raw_value))
        )
)

select * from final
