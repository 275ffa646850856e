{#- M21/M10: the named per-operator counts of indicator_count_names(), for every
    operator with lines in the window ending at each date of int_gri_evaluation_dates,
    counted by the same macros as the current counts (int_operator_transactions,
    int_operator_controls, int_operator_tax_records). What was known at each date:
    at the current as-of date, the current window's risk lists, unit-value norms and
    examined lines; at a quarter end, the point-in-time lists and norms known the day
    after (int_risky_dimensions_monthly, int_unit_value_norms_monthly) and the
    examinations of that window closed by then (int_examinations_dated). -#}

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

staged_declarations as (
    select * from {{ ref('stg_customs__declarations') }}
),

declaration_months as (
    select month_start from {{ ref('int_declaration_months') }}
),

risky_monthly as (
    select * from {{ ref('int_risky_dimensions_monthly') }}
),

norms_monthly as (
    select * from {{ ref('int_unit_value_norms_monthly') }}
),

{{ indicator_lookup_ctes() }},

evaluation_months as (
    -- each evaluation date with the months its window overlaps, so that the lines join on
    -- their month (an equality join) rather than on a date range, which sorted every line
    -- (issue 13); the window's exact bounds are applied after the join
    select
        evaluation_dates.as_of_date,
        evaluation_dates.window_start,
        evaluation_dates.recent_half_start,
        declaration_months.month_start
    from evaluation_dates
    inner join declaration_months
        on declaration_months.month_start
            between cast({{ dbt.date_trunc('month', 'evaluation_dates.window_start') }} as date)
            and evaluation_dates.as_of_date
),

declarations as (
    -- each line once per evaluation date whose window holds it
    select
        staged_declarations.*,
        evaluation_months.as_of_date,
        staged_declarations.declaration_date >= evaluation_months.recent_half_start as is_recent_half,
        {{ line_unit_value_columns('staged_declarations') | indent(4) }}
    from staged_declarations
    inner join evaluation_months
        on staged_declarations.declaration_month = evaluation_months.month_start
    where staged_declarations.declaration_date between evaluation_months.window_start and evaluation_months.as_of_date
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

lines as (
    {{ indicator_lines_select(dated=true) | indent(4) }}
),

line_totals as (
    select
        as_of_date,
        tin,
        {{- operator_line_count_columns() | indent(4) }}
    from lines
    group by as_of_date, tin
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
