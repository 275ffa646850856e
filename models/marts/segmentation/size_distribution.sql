{#- M1 (note Table 1): operators and CIF/FOB value per size segment with their shares,
    and a total row. -#}

with

operators as (
    select * from {{ ref('dim_operators') }}
),

sizes as (
    select * from {{ ref('size_segments') }}
),

by_size as (
    select
        size_segment,
        count(*) as operators,
        sum(trade_value_usd) as trade_value_usd
    from operators
    group by size_segment
),

totals as (
    select
        count(*) as operators,
        sum(trade_value_usd) as trade_value_usd
    from operators
),

rows_by_size as (
    select
        sizes.size_segment,
        sizes.sort_order,
        coalesce(by_size.operators, 0) as operators,
        coalesce(by_size.trade_value_usd, 0) as trade_value_usd
    from sizes
    left join by_size
        on sizes.size_segment = by_size.size_segment
    union all
    select
        'total' as size_segment,
        4 as sort_order,
        operators,
        coalesce(trade_value_usd, 0) as trade_value_usd
    from totals
),

final as (
    select
        rows_by_size.size_segment,
        rows_by_size.sort_order,
        cast(rows_by_size.operators as integer) as operators,
        cast({{ safe_divide('rows_by_size.operators', 'totals.operators') }} as {{ type_double() }}) as pct_operators,
        cast(rows_by_size.trade_value_usd as {{ type_double() }}) as trade_value_usd,
        cast({{ safe_divide('rows_by_size.trade_value_usd', 'totals.trade_value_usd') }} as {{ type_double() }})
            as pct_trade_value
    from rows_by_size
    cross join totals
)

select {{ stable_select() }} from final
