{#- M10 (point in time): per month, the unit-value norm of each tariff line and unit
    built only from import lines declared in the preceding var window_months (never
    the month itself). A rolling median over millions of lines is costly, so the norm
    is the median of the monthly medians of those months, and it needs at least
    var unit_value_min_lines lines behind it; the lower bound is
    var unit_value_lower_bound_ratio x that norm (as in M2). -#}

with

months as (
    select month_start from {{ ref('int_declaration_months') }}
),

import_lines as (
    select
        hs_code,
        value_unit,
        declaration_month,
        unit_value_usd
    from {{ ref('int_declaration_lines_valued') }}
    where flow = 'I' and unit_value_usd is not null
),

monthly_medians as (
    select
        hs_code,
        value_unit,
        declaration_month,
        count(*) as import_lines,
        {{ median('unit_value_usd') }} as median_unit_value_usd
    from import_lines
    group by hs_code, value_unit, declaration_month
),

trailing_window as (
    select
        months.month_start,
        monthly_medians.hs_code,
        monthly_medians.value_unit,
        sum(monthly_medians.import_lines) as import_lines,
        {{ median('monthly_medians.median_unit_value_usd') }} as norm_unit_value_usd
    from months
    inner join monthly_medians
        on months.month_start > monthly_medians.declaration_month
            and monthly_medians.declaration_month
            >= cast({{ dbt.dateadd('month', -1 * (var('window_months') | int), 'months.month_start') }} as date)
    group by months.month_start, monthly_medians.hs_code, monthly_medians.value_unit
),

final as (
    select
        month_start,
        hs_code,
        value_unit,
        import_lines,
        norm_unit_value_usd,
        {{ var('unit_value_lower_bound_ratio') }} * norm_unit_value_usd as lower_bound_unit_value_usd
    from trailing_window
    where import_lines >= {{ var('unit_value_min_lines') }}
)

select * from final
