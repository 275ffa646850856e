{#- M7 (note Table 4 and its extended version): operators, value and collection per
    size segment and risk level, with subtotal rows per size (risk_level 'all') and a
    grand total; repeat offenders and operators without any control in the window. -#}

with

operators as (
    select * from {{ ref('dim_operators') }}
),

size_segments as (
    select * from {{ ref('size_segments') }}
),

risk_levels as (
    select * from {{ ref('risk_levels') }}
),

cells as (
    select
        size_segments.size_segment,
        size_segments.sort_order as size_order,
        risk_levels.risk_level,
        risk_levels.sort_order as level_order
    from size_segments
    cross join risk_levels
),

by_cell as (
    select
        size_segment,
        risk_level,
        count(*) as operators,
        sum(trade_value_usd) as trade_value_usd,
        sum(vat_paid_usd) as vat_paid_usd,
        sum(duty_paid_usd) as duty_paid_usd,
        sum(excise_paid_usd) as excise_paid_usd,
        sum(case when is_repeat_offender then 1 else 0 end) as repeat_offenders,
        sum(case when is_without_control then 1 else 0 end) as operators_without_control
    from operators
    group by size_segment, risk_level
),

segment_rows as (
    select
        cells.size_segment,
        cells.risk_level,
        'segment' as row_type,
        cells.size_order * 10 + cells.level_order as sort_order,
        coalesce(by_cell.operators, 0) as operators,
        coalesce(by_cell.trade_value_usd, 0) as trade_value_usd,
        coalesce(by_cell.vat_paid_usd, 0) as vat_paid_usd,
        coalesce(by_cell.duty_paid_usd, 0) as duty_paid_usd,
        coalesce(by_cell.excise_paid_usd, 0) as excise_paid_usd,
        coalesce(by_cell.repeat_offenders, 0) as repeat_offenders,
        coalesce(by_cell.operators_without_control, 0) as operators_without_control
    from cells
    left join by_cell
        on cells.size_segment = by_cell.size_segment
            and cells.risk_level = by_cell.risk_level
),

size_rows as (
    select
        size_segment,
        'all' as risk_level,
        'size_total' as row_type,
        min(sort_order) - 1 as sort_order,
        sum(operators) as operators,
        sum(trade_value_usd) as trade_value_usd,
        sum(vat_paid_usd) as vat_paid_usd,
        sum(duty_paid_usd) as duty_paid_usd,
        sum(excise_paid_usd) as excise_paid_usd,
        sum(repeat_offenders) as repeat_offenders,
        sum(operators_without_control) as operators_without_control
    from segment_rows
    group by size_segment
),

total_row as (
    select
        'total' as size_segment,
        'all' as risk_level,
        'total' as row_type,
        99 as sort_order,
        sum(operators) as operators,
        sum(trade_value_usd) as trade_value_usd,
        sum(vat_paid_usd) as vat_paid_usd,
        sum(duty_paid_usd) as duty_paid_usd,
        sum(excise_paid_usd) as excise_paid_usd,
        sum(repeat_offenders) as repeat_offenders,
        sum(operators_without_control) as operators_without_control
    from segment_rows
),

all_rows as (
    select * from segment_rows
    union all
    select * from size_rows
    union all
    select * from total_row
),

final as (
    select
        all_rows.size_segment,
        all_rows.risk_level,
        all_rows.row_type,
        cast(all_rows.sort_order as integer) as sort_order,
        cast(all_rows.operators as integer) as operators,
        cast({{ safe_divide('all_rows.operators', 'total_row.operators') }} as {{ type_double() }}) as pct_operators,
        cast(all_rows.trade_value_usd as {{ type_double() }}) as trade_value_usd,
        cast({{ safe_divide('all_rows.trade_value_usd', 'total_row.trade_value_usd') }} as {{ type_double() }})
            as pct_trade_value,
        cast(all_rows.vat_paid_usd as {{ type_double() }}) as vat_paid_usd,
        cast(all_rows.duty_paid_usd as {{ type_double() }}) as duty_paid_usd,
        cast(all_rows.excise_paid_usd as {{ type_double() }}) as excise_paid_usd,
        cast(all_rows.repeat_offenders as integer) as repeat_offenders,
        cast(all_rows.operators_without_control as integer) as operators_without_control
    from all_rows
    cross join total_row
)

select {{ stable_select() }} from final
