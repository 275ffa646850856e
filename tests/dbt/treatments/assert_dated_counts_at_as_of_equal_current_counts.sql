-- M21/M2: the dated counts evaluated at the current as-of date are the current counts of
-- every operator (same operators, every count of indicator_count_names() equal): the dated
-- model sums its lines per slice of days (issue 13), not with macro operator_line_counts,
-- so this test keeps the two from becoming two definitions of one rule.
{%- set names = indicator_count_names() %}

with

operators as (
    select * from {{ ref('int_operator_transactions') }}
),

controls as (
    select * from {{ ref('int_operator_controls') }}
),

tax_records as (
    select * from {{ ref('int_operator_tax_records') }}
),

current_counts as (
    select
        operators.tin,
        {{- indicator_count_columns('operators', 'controls', 'tax_records') }}
    from operators
    left join controls
        on operators.tin = controls.tin
    left join tax_records
        on operators.tin = tax_records.tin
),

dated_counts as (
    select dated.*
    from {{ ref('int_operator_counts_dated') }} as dated
    inner join {{ ref('int_evaluation_window') }} as evaluation_window
        on dated.as_of_date = evaluation_window.as_of_date
),

final as (
    select
        coalesce(current_counts.tin, dated_counts.tin) as tin,
        current_counts.tin is null as missing_from_current,
        dated_counts.tin is null as missing_from_dated
    from current_counts
    full outer join dated_counts
        on current_counts.tin = dated_counts.tin
    where
        current_counts.tin is null
        or dated_counts.tin is null
        {%- for name in names %}
            or not (
                (current_counts.{{ name }} is null and dated_counts.{{ name }} is null)
                or abs(current_counts.{{ name }} - dated_counts.{{ name }})
                <= 1e-9 * greatest(1, abs(current_counts.{{ name }}), abs(dated_counts.{{ name }}))
            )
        {%- endfor %}
)

select * from final
