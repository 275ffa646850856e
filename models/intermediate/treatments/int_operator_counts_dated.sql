{#- M21/M10: the named per-operator counts of indicator_count_names(), for every
    operator with lines in the window ending at each date of int_gri_evaluation_dates,
    counted by the same macros as the current counts (int_operator_transactions,
    int_operator_controls, int_operator_tax_records). What was known at each date:
    at the current as-of date, the current window's risk lists, unit-value norms and
    examined lines; at a quarter end, the point-in-time lists and norms known the day
    after (int_risky_dimensions_monthly, int_unit_value_norms_monthly) and the
    examinations of that window closed by then (int_examinations_dated).
    The line counts are the rules of macros operator_line_measures and operator_line_flags
    (macros/segmentation/operator_counts.sql), rendered in two parts so that no line is
    carried once per date into a wide group-by (issue 13: that spilled 39.6 GB at 50M):
    the measures per operator and slice of days, then added up per date; and the flags
    per line and date, of which only the flagged rows are counted. -#}

with

evaluation_dates as (
    select * from {{ ref('int_gri_evaluation_dates') }}
),

current_evaluation as (
    select * from evaluation_dates
    where is_current_as_of
),

earlier_evaluations as (
    select * from evaluation_dates
    where not is_current_as_of
),

declaration_months as (
    select month_start from {{ ref('int_declaration_months') }}
),

-- the lines are read twice, narrow each time (a CTE read twice would be materialised whole)
totals_lines as (
    select
        tin,
        hs_code,
        hs_chapter,
        flow,
        is_exempt,
        customs_value_usd,
        customs_value_lcu,
        duty_paid_usd,
        vat_paid_usd,
        excise_paid_usd,
        duty_paid_lcu,
        vat_paid_lcu,
        excise_paid_lcu,
        declaration_date,
        declaration_month
    from {{ ref('stg_customs__declarations') }}
),

flag_lines as (
    select
        tin,
        declarant_id,
        hs_code,
        origin_country,
        flow,
        quantity,
        quantity_unit,
        net_mass_kg,
        customs_value_usd,
        declaration_date,
        declaration_month
    from {{ ref('stg_customs__declarations') }}
),

risky_monthly as (
    select * from {{ ref('int_risky_dimensions_monthly') }}
),

norms_monthly as (
    select * from {{ ref('int_unit_value_norms_monthly') }}
),

{{ indicator_lookup_ctes() }},

slice_bounds as (
    -- every day on which some evaluation window, or its recent half, starts or ends
    select window_start as bound_date from evaluation_dates
    union
    select recent_half_start as bound_date from evaluation_dates
    union
    select cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as date) as bound_date from evaluation_dates
),

slices as (
    -- the days between two bounds: each slice lies wholly inside or outside every window and
    -- every recent half, so a line needs only its slice (issue 13: the lines are no longer
    -- copied once per evaluation date before the wide group-by, which spilled at 50M)
    select
        bound_date as slice_start,
        lead(bound_date) over (order by bound_date) as next_slice_start
    from slice_bounds
),

slice_months as (
    -- the months each slice overlaps: lines find their slice by an equality join on the month
    select
        slices.slice_start,
        slices.next_slice_start,
        declaration_months.month_start
    from slices
    inner join declaration_months
        on cast({{ dbt.date_trunc('month', 'slices.slice_start') }} as date) <= declaration_months.month_start
            and slices.next_slice_start > declaration_months.month_start
),

slice_dates as (
    -- the evaluation dates whose window holds each slice, and the half it falls in
    select
        slices.slice_start,
        evaluation_dates.as_of_date,
        slices.slice_start >= evaluation_dates.recent_half_start as is_recent_half
    from slices
    inner join evaluation_dates
        on slices.slice_start >= evaluation_dates.window_start
            and slices.next_slice_start <= cast({{ dbt.dateadd('day', 1, 'evaluation_dates.as_of_date') }} as date)
),

measure_lines as (
    -- each line with its slice of days and the static look-ups (the measures' attributes)
    select
        totals_lines.*,
        slice_months.slice_start,
        {{ indicator_lookup_columns() | indent(4) }}
    from totals_lines
    inner join slice_months
        on totals_lines.declaration_month = slice_months.month_start
    {{ indicator_lookup_joins('totals_lines') }}
    where totals_lines.declaration_date >= slice_months.slice_start
        and totals_lines.declaration_date < slice_months.next_slice_start
),

operator_slices as (
    -- the measures (macro operator_line_measures) per operator and slice
    select
        tin,
        slice_start,
        {{- named_columns(operator_line_slice_sums()) }}
    from measure_lines
    group by tin, slice_start
),

risky_brokers as (
    select
        current_evaluation.as_of_date,
        current_list.declarant_id
    from {{ ref('int_risky_brokers') }} as current_list
    cross join current_evaluation
    where current_list.is_risky
    union all
    select
        earlier_evaluations.as_of_date,
        risky_monthly.dimension_value as declarant_id
    from earlier_evaluations
    inner join risky_monthly
        on earlier_evaluations.lists_month_start = risky_monthly.month_start
    where risky_monthly.dimension = 'declarant_id'
),

risky_hs_codes as (
    select
        current_evaluation.as_of_date,
        current_list.hs_code
    from {{ ref('int_risky_hs_codes') }} as current_list
    cross join current_evaluation
    where current_list.is_risky
    union all
    select
        earlier_evaluations.as_of_date,
        risky_monthly.dimension_value as hs_code
    from earlier_evaluations
    inner join risky_monthly
        on earlier_evaluations.lists_month_start = risky_monthly.month_start
    where risky_monthly.dimension = 'hs_code'
),

risky_countries as (
    select
        current_evaluation.as_of_date,
        current_list.country_code
    from {{ ref('int_risky_countries') }} as current_list
    cross join current_evaluation
    where current_list.is_risky
    union all
    select
        earlier_evaluations.as_of_date,
        risky_monthly.dimension_value as country_code
    from earlier_evaluations
    inner join risky_monthly
        on earlier_evaluations.lists_month_start = risky_monthly.month_start
    where risky_monthly.dimension = 'origin_country'
),

unit_value_norms as (
    select
        current_evaluation.as_of_date,
        current_norms.hs_code,
        current_norms.value_unit,
        current_norms.lower_bound_unit_value_usd
    from {{ ref('int_hs_unit_value_norms') }} as current_norms
    cross join current_evaluation
    where current_norms.has_norm
    union all
    select
        earlier_evaluations.as_of_date,
        norms_monthly.hs_code,
        norms_monthly.value_unit,
        norms_monthly.lower_bound_unit_value_usd
    from earlier_evaluations
    inner join norms_monthly
        on earlier_evaluations.lists_month_start = norms_monthly.month_start
),

flag_lines_sliced as (
    select
        flag_lines.tin,
        flag_lines.declarant_id,
        flag_lines.hs_code,
        flag_lines.origin_country,
        flag_lines.flow,
        slice_months.slice_start,
        {{ line_unit_value_columns('flag_lines') | indent(8) }}
    from flag_lines
    inner join slice_months
        on flag_lines.declaration_month = slice_months.month_start
    where flag_lines.declaration_date >= slice_months.slice_start
        and flag_lines.declaration_date < slice_months.next_slice_start
),

line_date_flags as (
    -- each line once per evaluation date whose window holds it, with that date's lists and
    -- norms (the flags' attributes)
    select
        slice_dates.as_of_date,
        flag_lines_sliced.tin,
        flag_lines_sliced.flow,
        {{ indicator_list_columns('flag_lines_sliced') | indent(4) }}
    from flag_lines_sliced
    inner join slice_dates
        on flag_lines_sliced.slice_start = slice_dates.slice_start
    {{ indicator_list_joins('flag_lines_sliced', 'slice_dates.as_of_date') }}
),

flag_counts as (
    -- the flags (macro operator_line_flags) per date and operator, over the flagged rows only
    select
        as_of_date,
        tin,
        {{- named_columns(operator_line_flag_counts()) }}
    from line_date_flags
    where {{ operator_line_flag_filter() }}
    group by as_of_date, tin
),

slice_totals as (
    -- the slices of each date's window added up, the recent half apart
    select
        slice_dates.as_of_date,
        operator_slices.tin,
        {{- named_columns(operator_line_date_sums('operator_slices', 'slice_dates.is_recent_half')) }}
    from operator_slices
    inner join slice_dates
        on operator_slices.slice_start = slice_dates.slice_start
    group by slice_dates.as_of_date, operator_slices.tin
),

line_totals as (
    -- every name of operator_line_count_names, from the two parts above
    select
        slice_totals.as_of_date,
        slice_totals.tin,
        {{- named_columns(operator_line_dated_counts('slice_totals', 'flag_counts')) }}
    from slice_totals
    left join flag_counts
        on slice_totals.as_of_date = flag_counts.as_of_date
            and slice_totals.tin = flag_counts.tin
),

examined_lines as (
    select
        current_evaluation.as_of_date,
        current_examined.tin,
        current_examined.is_irregular,
        current_examined.is_serious
    from {{ ref('int_examined_lines') }} as current_examined
    cross join current_evaluation
    union all
    select
        earlier_evaluations.as_of_date,
        examinations.tin,
        examinations.is_irregular,
        examinations.is_serious
    from earlier_evaluations
    inner join {{ ref('int_examinations_dated') }} as examinations
        on examinations.control_date between earlier_evaluations.window_start and earlier_evaluations.as_of_date
            and examinations.declaration_date between earlier_evaluations.window_start and earlier_evaluations.as_of_date
),

examined_by_operator as (
    select
        as_of_date,
        tin,
        {{- operator_examined_count_columns() }}
    from examined_lines
    group by as_of_date, tin
),

controls_by_operator as (
    select
        evaluation_dates.as_of_date,
        control_results.tin,
        {{ operator_irregular_quarters() }} as quarters_with_irregularity
    from {{ ref('stg_customs__control_results') }} as control_results
    inner join evaluation_dates
        on control_results.control_date between evaluation_dates.window_start and evaluation_dates.as_of_date
    group by evaluation_dates.as_of_date, control_results.tin
),

returns_by_operator as (
    select
        evaluation_dates.as_of_date,
        tax_returns.tin,
        {{- operator_return_count_columns() }}
    from {{ ref('stg_tax__tax_returns') }} as tax_returns
    inner join evaluation_dates
        on tax_returns.{{ tax_return_in_window('evaluation_dates') }}
    group by evaluation_dates.as_of_date, tax_returns.tin
),

audits_by_operator as (
    select
        evaluation_dates.as_of_date,
        tax_audits.tin,
        {{- operator_audit_count_columns() }}
    from {{ ref('stg_tax__tax_audits') }} as tax_audits
    inner join evaluation_dates
        on tax_audits.{{ tax_audit_in_window('evaluation_dates') }}
    group by evaluation_dates.as_of_date, tax_audits.tin
),

operator_controls as (
    select
        line_totals.as_of_date,
        line_totals.tin,
        coalesce(examined_by_operator.examined_lines, 0) as examined_lines,
        coalesce(examined_by_operator.serious_examined_lines, 0) as serious_examined_lines,
        coalesce(controls_by_operator.quarters_with_irregularity, 0) as quarters_with_irregularity
    from line_totals
    left join examined_by_operator
        on line_totals.as_of_date = examined_by_operator.as_of_date
            and line_totals.tin = examined_by_operator.tin
    left join controls_by_operator
        on line_totals.as_of_date = controls_by_operator.as_of_date
            and line_totals.tin = controls_by_operator.tin
),

operator_tax_records as (
    -- registered operators only (as int_operator_tax_records): counts 0, amounts null without records
    select
        line_totals.as_of_date,
        taxpayers.tin,
        {{- operator_tax_record_columns('returns_by_operator', 'audits_by_operator') }}
    from line_totals
    inner join taxpayers
        on line_totals.tin = taxpayers.tin
    left join returns_by_operator
        on line_totals.as_of_date = returns_by_operator.as_of_date
            and line_totals.tin = returns_by_operator.tin
    left join audits_by_operator
        on line_totals.as_of_date = audits_by_operator.as_of_date
            and line_totals.tin = audits_by_operator.tin
),

final as (
    select
        line_totals.as_of_date,
        line_totals.tin,
        {{- indicator_count_columns('line_totals', 'operator_controls', 'operator_tax_records') }}
    from line_totals
    left join operator_controls
        on line_totals.as_of_date = operator_controls.as_of_date
            and line_totals.tin = operator_controls.tin
    left join operator_tax_records
        on line_totals.as_of_date = operator_tax_records.as_of_date
            and line_totals.tin = operator_tax_records.tin
)

select * from final
