{#- M21/M10: the named per-operator counts of indicator_count_names(), for every
    operator with lines in the window ending at each date of int_gri_evaluation_dates,
    counted by the same macros as the current counts (int_operator_transactions,
    int_operator_controls, int_operator_tax_records). What was known at each date:
    at the current as-of date, the current window's risk lists, unit-value norms and
    examined lines; at a quarter end, the point-in-time lists and norms known the day
    after (int_risky_dimensions_monthly, int_unit_value_norms_monthly) and the
    examinations of that window closed by then (int_examinations_dated).
    The line counts are those of macro operator_line_counts, computed in two parts so that
    no line is carried once per date into a wide group-by (issue 13: that spilled 39.6 GB
    at 50M): the sums that ignore the lists per operator and slice of days, then added up
    per date; and the list flags per line and date, of which only the flagged rows are
    counted. -#}

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

operator_slices as (
    -- the counts and sums that do not depend on the date's risk lists, per operator and slice;
    -- counts as doubles (exact below 2^53, and the model's columns are doubles) so that the
    -- sums over slices stay narrow
    select
        totals_lines.tin,
        slice_months.slice_start,
        cast(count(*) as {{ type_double() }}) as lines,
        cast(count(case when totals_lines.flow = 'I' then 1 end) as {{ type_double() }}) as import_lines,
        cast(count(case when totals_lines.flow = 'E' then 1 end) as {{ type_double() }}) as export_lines,
        sum(case when totals_lines.flow = 'I' then totals_lines.customs_value_usd else 0 end) as import_value_usd,
        sum(case when totals_lines.flow = 'E' then totals_lines.customs_value_usd else 0 end) as export_value_usd,
        sum(totals_lines.customs_value_usd) as trade_value_usd,
        sum(case when totals_lines.flow = 'I' then totals_lines.customs_value_lcu else 0 end) as import_value_lcu,
        sum(case when totals_lines.flow = 'E' then totals_lines.customs_value_lcu else 0 end) as export_value_lcu,
        sum(totals_lines.duty_paid_usd) as duty_paid_usd,
        sum(totals_lines.vat_paid_usd) as vat_paid_usd,
        sum(totals_lines.excise_paid_usd) as excise_paid_usd,
        sum(totals_lines.duty_paid_lcu) as duty_paid_lcu,
        sum(totals_lines.vat_paid_lcu) as vat_paid_lcu,
        sum(totals_lines.excise_paid_lcu) as excise_paid_lcu,
        cast(count(case when totals_lines.flow = 'I' and totals_lines.is_exempt then 1 end) as {{ type_double() }})
            as exempt_lines,
        cast(count(case when nomenclature.is_residual then 1 end) as {{ type_double() }}) as residual_lines,
        sum(
            case
                when totals_lines.flow = 'I' and isic_with_concordance.isic_code is not null
                    then totals_lines.customs_value_usd
                else 0
            end
        ) as import_value_isic_known_usd,
        sum(
            case
                when totals_lines.flow = 'I' and isic_with_concordance.isic_code is not null
                    and concordance.hs_chapter is null
                    then totals_lines.customs_value_usd
                else 0
            end
        ) as import_value_isic_inconsistent_usd
    from totals_lines
    inner join slice_months
        on totals_lines.declaration_month = slice_months.month_start
    left join nomenclature
        on totals_lines.hs_code = nomenclature.hs_code
    left join taxpayers
        on totals_lines.tin = taxpayers.tin
    left join isic_with_concordance
        on taxpayers.isic_code = isic_with_concordance.isic_code
    left join concordance
        on taxpayers.isic_code = concordance.isic_code
            and totals_lines.hs_chapter = concordance.hs_chapter
    where totals_lines.declaration_date >= slice_months.slice_start
        and totals_lines.declaration_date < slice_months.next_slice_start
    group by totals_lines.tin, slice_months.slice_start
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
    -- each line once per evaluation date whose window holds it, matched with that date's
    -- lists and norms (as macro indicator_lines_select); only the flagged rows are kept
    select
        slice_dates.as_of_date,
        flag_lines_sliced.tin,
        risky_brokers.declarant_id is not null as is_high_risk_broker,
        risky_hs_codes.hs_code is not null as is_risky_hs,
        flag_lines_sliced.flow = 'I' and risky_countries.country_code is not null as is_import_risky_origin,
        flag_lines_sliced.flow = 'I' and unit_value_norms.hs_code is null as is_import_without_norm,
        flag_lines_sliced.flow = 'I'
        and flag_lines_sliced.unit_value_usd < unit_value_norms.lower_bound_unit_value_usd as is_import_below_norm
    from flag_lines_sliced
    inner join slice_dates
        on flag_lines_sliced.slice_start = slice_dates.slice_start
    left join risky_brokers
        on flag_lines_sliced.declarant_id = risky_brokers.declarant_id
            and slice_dates.as_of_date = risky_brokers.as_of_date
    left join risky_hs_codes
        on flag_lines_sliced.hs_code = risky_hs_codes.hs_code
            and slice_dates.as_of_date = risky_hs_codes.as_of_date
    left join risky_countries
        on flag_lines_sliced.origin_country = risky_countries.country_code
            and slice_dates.as_of_date = risky_countries.as_of_date
    left join unit_value_norms
        on flag_lines_sliced.hs_code = unit_value_norms.hs_code
            and flag_lines_sliced.value_unit = unit_value_norms.value_unit
            and slice_dates.as_of_date = unit_value_norms.as_of_date
),

flag_counts as (
    select
        as_of_date,
        tin,
        count(case when is_high_risk_broker then 1 end) as lines_high_risk_broker,
        count(case when is_risky_hs then 1 end) as lines_risky_hs,
        count(case when is_import_risky_origin then 1 end) as import_lines_risky_origin,
        count(case when is_import_without_norm then 1 end) as import_lines_without_norm,
        count(case when is_import_below_norm then 1 end) as import_lines_below_norm
    from line_date_flags
    where is_high_risk_broker or is_risky_hs or is_import_risky_origin or is_import_without_norm or is_import_below_norm
    group by as_of_date, tin
),

slice_totals as (
    -- the slices of each date's window added up; the recent half apart (earlier = all - recent)
    select
        slice_dates.as_of_date,
        operator_slices.tin,
        sum(operator_slices.lines) as lines,
        sum(operator_slices.import_lines) as import_lines,
        sum(operator_slices.export_lines) as export_lines,
        sum(operator_slices.import_value_usd) as import_value_usd,
        sum(operator_slices.export_value_usd) as export_value_usd,
        sum(operator_slices.trade_value_usd) as trade_value_usd,
        sum(operator_slices.import_value_lcu) as import_value_lcu,
        sum(operator_slices.export_value_lcu) as export_value_lcu,
        sum(operator_slices.duty_paid_usd) as duty_paid_usd,
        sum(operator_slices.vat_paid_usd) as vat_paid_usd,
        sum(operator_slices.excise_paid_usd) as excise_paid_usd,
        sum(operator_slices.duty_paid_lcu) as duty_paid_lcu,
        sum(operator_slices.vat_paid_lcu) as vat_paid_lcu,
        sum(operator_slices.excise_paid_lcu) as excise_paid_lcu,
        sum(operator_slices.exempt_lines) as exempt_lines,
        sum(operator_slices.residual_lines) as residual_lines,
        sum(case when slice_dates.is_recent_half then operator_slices.lines else 0 end) as lines_recent,
        sum(case when slice_dates.is_recent_half then operator_slices.import_lines else 0 end) as import_lines_recent,
        sum(case when slice_dates.is_recent_half then operator_slices.exempt_lines else 0 end) as exempt_lines_recent,
        sum(case when slice_dates.is_recent_half then operator_slices.residual_lines else 0 end)
            as residual_lines_recent,
        sum(operator_slices.import_value_isic_known_usd) as import_value_isic_known_usd,
        sum(operator_slices.import_value_isic_inconsistent_usd) as import_value_isic_inconsistent_usd
    from operator_slices
    inner join slice_dates
        on operator_slices.slice_start = slice_dates.slice_start
    group by slice_dates.as_of_date, operator_slices.tin
),

line_totals as (
    -- every name of macro operator_line_counts (the current counts), from the two parts above
    select
        slice_totals.as_of_date,
        slice_totals.tin,
        slice_totals.lines,
        slice_totals.import_lines,
        slice_totals.export_lines,
        slice_totals.import_value_usd,
        slice_totals.export_value_usd,
        slice_totals.trade_value_usd,
        slice_totals.import_value_lcu,
        slice_totals.export_value_lcu,
        slice_totals.duty_paid_usd,
        slice_totals.vat_paid_usd,
        slice_totals.excise_paid_usd,
        slice_totals.duty_paid_lcu,
        slice_totals.vat_paid_lcu,
        slice_totals.excise_paid_lcu,
        coalesce(flag_counts.lines_high_risk_broker, 0) as lines_high_risk_broker,
        coalesce(flag_counts.lines_risky_hs, 0) as lines_risky_hs,
        coalesce(flag_counts.import_lines_risky_origin, 0) as import_lines_risky_origin,
        slice_totals.import_lines - coalesce(flag_counts.import_lines_without_norm, 0) as import_lines_with_norm,
        coalesce(flag_counts.import_lines_below_norm, 0) as import_lines_below_norm,
        slice_totals.import_lines - slice_totals.import_lines_recent as import_lines_earlier,
        slice_totals.exempt_lines - slice_totals.exempt_lines_recent as exempt_lines_earlier,
        slice_totals.import_lines_recent,
        slice_totals.exempt_lines_recent,
        slice_totals.lines - slice_totals.lines_recent as lines_earlier,
        slice_totals.residual_lines - slice_totals.residual_lines_recent as residual_lines_earlier,
        slice_totals.lines_recent,
        slice_totals.residual_lines_recent,
        slice_totals.import_value_isic_known_usd,
        slice_totals.import_value_isic_inconsistent_usd
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
